"""``torch.onnx.export`` in a PyTorch script run unchanged through ``glassnet as-torch``: the
file it writes runs in ONNX Runtime (at another batch size, through dynamic_axes) and equals
the script's own model output; PyTorch's extra arguments are accepted, ``dynamo=True`` gets a
clear error."""

import subprocess
import sys

import numpy as np
import onnx  # noqa: E402, F401
import onnxruntime as ort  # noqa: E402

SCRIPT = """
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.onnx


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.head = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.bn(self.conv(x))), 2)
        return self.head(torch.flatten(x, 1))


torch.manual_seed(0)
model = Net()
model(torch.randn(8, 1, 8, 8))  # a training-mode step moves the BatchNorm statistics
model.eval()
out, rows = sys.argv[1], sys.argv[2]
torch.onnx.export(
    model,
    (torch.randn(2, 1, 8, 8),),
    out,
    export_params=True,
    opset_version=17,
    do_constant_folding=True,
    input_names=["input"],
    output_names=["logits"],
    dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
    dynamo=False,
)
x = torch.randn(5, 1, 8, 8)
with torch.no_grad():
    np.savez(rows, x=x.numpy(), y=model(x).numpy())
print("exported")
"""


def _as_torch(script, *args):
    return subprocess.run(
        [sys.executable, "-m", "glassnet", "as-torch", str(script), *map(str, args)],
        capture_output=True,
        text=True,
    )


def test_script_exports_and_onnxruntime_runs_it(tmp_path):
    script = tmp_path / "export_net.py"
    script.write_text(SCRIPT)
    done = _as_torch(script, tmp_path / "net.onnx", tmp_path / "rows.npz")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "exported"
    rows = np.load(tmp_path / "rows.npz")
    session = ort.InferenceSession(str(tmp_path / "net.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input"]
    (got,) = session.run(["logits"], {"input": rows["x"]})  # batch 5: the example had 2
    # float32 on both sides, summed in another order by ONNX Runtime (convolution and GEMM
    # blocking): a few ulps per accumulation over ~36- and 64-term sums; 1e-4 of the output's
    # scale is far above that and far below any wrong-op error (as in test_onnx.py).
    scale = float(np.abs(rows["y"]).max())
    np.testing.assert_allclose(got, rows["y"], rtol=1e-4, atol=1e-4 * scale)


def test_dynamo_true_and_unsupported_options_say_what_to_do(tmp_path):
    script = tmp_path / "dynamo.py"
    script.write_text(
        "import torch\n"
        "m = torch.nn.Linear(3, 2)\n"
        "try:\n"
        "    torch.onnx.export(m, (torch.ones(1, 3),), 'm.onnx', dynamo=True)\n"
        "except ValueError as e:\n"
        "    print(e)\n"
        "try:\n"
        "    torch.onnx.export(m, (torch.ones(1, 3),), 'm.onnx', dynamic_shapes={'x': {0: 'b'}})\n"
        "except ValueError as e:\n"
        "    print(e)\n"
        "torch.onnx.export(m, torch.ones(1, 3), 'ok.onnx')\n"  # one tensor, dynamo left out
        "print(torch.onnx.OnnxExporterError.__name__)\n"
        "print(*m(torch.ones(1, 3)).detach().numpy().ravel().tolist())\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "glassnet", "as-torch", str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert "dynamo=True" in lines[0] and "pass dynamo=False" in lines[0]
    assert "does not support dynamic_shapes" in lines[1]
    assert lines[2] == "ExportError"
    session = ort.InferenceSession(str(tmp_path / "ok.onnx"), providers=["CPUExecutionProvider"])
    (y,) = session.run(None, {session.get_inputs()[0].name: np.ones((1, 3), np.float32)})
    # one 3-term dot product in float32 each: a few ulps apart at most
    expected = [float(v) for v in lines[3].split()]
    np.testing.assert_allclose(y.ravel(), expected, rtol=1e-5, atol=1e-6)
