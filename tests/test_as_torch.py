"""glassnet as-torch: torch imports resolve to glassnet, missing names are reported, and the
torchvision stand-ins read local files."""

import subprocess
import sys

import numpy as np
import pytest

import glassnet
from glassnet.as_torch import TorchAliases, main, run_script
from glassnet.as_torch.vision import datasets, utils
from glassnet.datasets.images import write_idx


@pytest.fixture
def aliases():
    a = TorchAliases()
    a.install()
    yield a
    a.uninstall()


def test_torch_names_are_glassnet_objects(aliases):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch import optim

    assert torch.Tensor is glassnet.Tensor and nn.Linear is glassnet.nn.Linear
    assert F.relu is glassnet.nn.functional.relu and optim.Adam is glassnet.optim.Adam
    assert isinstance(torch.ones(2), torch.Tensor)
    assert sys.modules["torch.nn"] is nn  # the same proxy by import and by attribute
    assert torch.nn is nn
    assert aliases.missing == []


def test_missing_names_and_modules_are_recorded(aliases):
    import torch

    with pytest.raises(AttributeError, match="glassnet has no torch.not_a_torch_name"):
        torch.not_a_torch_name  # noqa: B018
    with pytest.raises(ModuleNotFoundError, match="torch.not_a_module"):
        import torch.not_a_module  # noqa: F401
    assert aliases.missing == ["torch.not_a_torch_name", "torch.not_a_module"]


def test_settings_written_through_a_proxy_reach_glassnet(aliases):
    import torch

    torch.some_flag_for_this_test = 3
    try:
        assert glassnet.some_flag_for_this_test == 3
    finally:
        del torch.some_flag_for_this_test
    assert not hasattr(glassnet, "some_flag_for_this_test")


def test_uninstall_gives_the_real_torch_back():
    import torch as real

    a = TorchAliases()
    a.install()
    import torch

    assert torch.Tensor is glassnet.Tensor
    a.uninstall()
    import torch

    assert torch is real


def test_a_script_runs_and_reports(tmp_path, capsys):
    script = tmp_path / "train.py"
    script.write_text(
        "import sys, torch\n"
        "w = torch.zeros(3, requires_grad=True)\n"
        "for _ in range(5):\n"
        "    loss = ((w - torch.tensor([1.0, 2.0, 3.0])) ** 2).sum()\n"
        "    loss.backward()\n"
        "    with torch.no_grad():\n"
        "        w -= 0.1 * w.grad\n"
        "    w.grad.zero_()\n"
        "print(sys.argv[1:], round(loss.item(), 4))\n"
        "torch.this_is_missing\n"
    )
    assert main([str(script), "--epochs", "2"]) == 1  # it fails on the missing name
    out, err = capsys.readouterr()
    # gradient descent on (w - t)^2 with step 0.1 shrinks the error by 0.8 a step: 14 * 0.64^4
    assert out.strip() == f"['--epochs', '2'] {round(14 * 0.64**4, 4)}"
    assert "torch.this_is_missing" in err.splitlines()[-1]


def test_script_exit_code_passes_through(tmp_path):
    script = tmp_path / "exit.py"
    script.write_text("import sys\nsys.exit(3)\n")
    assert main([str(script)]) == 3
    assert main([str(tmp_path / "absent.py")]) == 2


def test_command_line_entry(tmp_path):
    script = tmp_path / "hello.py"
    script.write_text("import torch\nprint(torch.arange(4).sum().item())\n")
    done = subprocess.run(
        [sys.executable, "-m", "glassnet.as_torch", str(script)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "6" and done.stderr == ""


def test_mnist_and_fashion_mnist_from_local_files(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.array([7, 2, 1, 0, 4], dtype=np.uint8)
    for name in ("MNIST", "FashionMNIST"):
        raw = tmp_path / name / "raw"
        raw.mkdir(parents=True)
        write_idx(raw / "train-images-idx3-ubyte", images)
        write_idx(raw / "train-labels-idx1-ubyte", labels)
        cls = getattr(datasets, name)
        data = cls(str(tmp_path), train=True, transform=glassnet.data.transforms.ToTensor())
        assert len(data) == 5
        x, y = data[1]
        assert y == 2 and tuple(x.shape) == (1, 28, 28)
        np.testing.assert_array_equal(x.numpy()[0], images[1] / np.float32(255))
        with pytest.raises(FileNotFoundError, match="download=True cannot fetch"):
            cls(str(tmp_path), train=False, download=True)


def test_cifar10_binary_version_and_pickle_refusal(tmp_path):
    rng = np.random.default_rng(1)
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    pixels = rng.integers(0, 256, size=(2, 3, 32, 32), dtype=np.uint8)
    record = np.concatenate([np.array([[3], [8]], dtype=np.uint8), pixels.reshape(2, -1)], 1)
    (folder / "test_batch.bin").write_bytes(record.tobytes())
    data = datasets.CIFAR10(str(tmp_path), train=False)
    image, label = data[1]
    assert label == 8
    np.testing.assert_array_equal(np.asarray(image), pixels[1].transpose(1, 2, 0))
    (tmp_path / "other" / "cifar-10-batches-py").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="never unpickles"):
        datasets.CIFAR10(str(tmp_path / "other"), train=True)


def test_make_grid_layout_by_hand():
    batch = np.arange(2 * 1 * 2 * 2, dtype=np.float32).reshape(2, 1, 2, 2)
    grid = utils.make_grid(glassnet.tensor(batch), nrow=2, padding=1, pad_value=-1).numpy()
    assert grid.shape == (3, 4, 7)  # 1 + 2 + 1 rows; 1 + 2 + 1 + 2 + 1 columns
    np.testing.assert_array_equal(grid[0, 1:3, 1:3], batch[0, 0])
    np.testing.assert_array_equal(grid[2, 1:3, 4:6], batch[1, 0])  # grey repeated into RGB
    assert (grid[:, 0, :] == -1).all() and (grid[:, :, 3] == -1).all()


def test_run_script_restores_argv_and_path(tmp_path):
    script = tmp_path / "noop.py"
    script.write_text("x = 1\n")
    argv, path = list(sys.argv), list(sys.path)
    assert run_script(str(script), ["a"]) == []
    assert sys.argv == argv and sys.path == path


def test_glassnet_command_runs_as_torch(tmp_path):
    """`glassnet as-torch` hands the script its own options (even --debug) untouched."""
    from glassnet.cli import main as cli_main

    script = tmp_path / "argv.py"
    script.write_text("import sys, torch\nsys.exit(len(sys.argv[1:]) + int(torch.ones(2).sum()))\n")
    assert cli_main(["as-torch", str(script), "--debug", "-x"]) == 4  # 2 options + 2.0
