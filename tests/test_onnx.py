"""ONNX export: every zoo model and every built-in recipe's model, exported with a dynamic batch
and run in ONNX Runtime (the independent oracle) at two batch sizes, against glassnet's eval
output; unsupported ops raise an error naming the op and the layer path."""

import os

import numpy as np
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import pytest

import glassnet
from glassnet import nn
from glassnet.models import (
    GPT,
    MLP,
    DigitsCNN,
    LeNet5,
    LSTMForecaster,
    LSTMLanguageModel,
    ResNet,
    vision,
)
from glassnet.onnx import ExportError, export

DYNAMIC = {"input": {0: "batch"}, "output": {0: "batch"}}


def assert_close(got, ref):
    # float32 on both sides: ONNX Runtime sums products in another order (blocked GEMM,
    # Winograd/im2col convolutions), so results differ by a few ulps per accumulation, about
    # sqrt(K) * 6e-8 relative for K-term dot products. 1e-4 of the output's scale leaves room
    # for K in the thousands and a few dozen layers, and is far below any wrong-op error.
    scale = max(float(np.abs(ref).max()), 1e-6)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4 * scale)


def roundtrip(tmp_path, model, make_input, batches=(2, 3), name="m"):
    """Export at the first batch size, then compare ONNX Runtime with glassnet at each."""
    model.eval()
    path = os.path.join(tmp_path, f"{name}.onnx")
    example = make_input(batches[0])
    export(model, example, path, dynamic_axes=DYNAMIC)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for b in batches:
        x = example if b == batches[0] else make_input(b)
        with glassnet.no_grad():
            ref = model(x).numpy()
        (got,) = session.run(None, {"input": x.numpy()})
        assert_close(got, ref)
    return path


def images(c, h, w=None):
    return lambda b: glassnet.randn(b, c, h, w or h)


def tokens(vocab, length):
    return lambda b: glassnet.randint(0, vocab, (b, length))


def _narrow(model, width=16):
    """The model with its 4096-wide classifier layers made ``width`` wide (the same layer
    types in the same order): the full-size dense layers hold 60-120 million weights, whose
    export takes most of a minute; the full-size models run in the slow test below."""
    layers = []
    for layer in model.classifier:
        if isinstance(layer, nn.Linear):
            i = width if layer.in_features == 4096 else layer.in_features
            o = width if layer.out_features == 4096 else layer.out_features
            layer = nn.Linear(i, o)
        layers.append(layer)
    model.classifier = nn.Sequential(*layers)
    return model


ZOO = {
    "MLP": lambda: (
        MLP(6, [16, 8], 3, batch_norm=True, dropout=0.2),
        lambda b: glassnet.randn(b, 6),
    ),
    "LeNet5": lambda: (LeNet5(), images(1, 28)),
    "DigitsCNN": lambda: (DigitsCNN(), images(1, 8)),
    "ResNet": lambda: (ResNet(blocks=(1, 1), widths=(4, 8)), images(3, 12)),
    "LSTMLanguageModel": lambda: (
        LSTMLanguageModel(30, embed_size=6, hidden_size=8, num_layers=2),
        tokens(30, 5),
    ),
    # a vocabulary smaller than the batch's tokens: the LSTM folds the lookup into its first
    # layer (one fused op reading the table and the ids), a different traced path
    "LSTMLanguageModel-chars": lambda: (
        LSTMLanguageModel(4, embed_size=6, hidden_size=5, num_layers=1),
        tokens(4, 6),
    ),
    "LSTMForecaster": lambda: (LSTMForecaster(2, 8, 2, 1), lambda b: glassnet.randn(b, 7, 2)),
    "GPT": lambda: (GPT(25, block_size=6, d_model=16, n_layer=2, n_head=2), tokens(25, 6)),
    "alexnet": lambda: (_narrow(vision.alexnet(num_classes=4)), images(3, 63)),
    "vgg11": lambda: (_narrow(vision.vgg11(num_classes=4)), images(3, 32)),
    "resnet18": lambda: (vision.resnet18(num_classes=4), images(3, 32)),
    "mobilenet_v2": lambda: (vision.mobilenet_v2(num_classes=4), images(3, 32)),
    "efficientnet_b0": lambda: (vision.efficientnet_b0(num_classes=4), images(3, 32)),
}


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_model_in_onnx_runtime(tmp_path, name):
    glassnet.manual_seed(0)
    model, make_input = ZOO[name]()
    roundtrip(tmp_path, model, make_input, name=name)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["alexnet", "vgg11"])
def test_full_size_classifier_in_onnx_runtime(tmp_path, name):
    glassnet.manual_seed(0)
    model = getattr(vision, name)(num_classes=4)
    roundtrip(tmp_path, model, images(3, 63 if name == "alexnet" else 32), batches=(1, 2))


def test_every_builtin_recipe_model(tmp_path):
    # Built untrained from each recipe's own builder and data shape (training is not what is
    # tested: the export of the architecture the recipe makes is).
    from glassnet.recipes import BUILTIN
    from glassnet.recipes.prepare import prepare
    from glassnet.recipes.runner import build

    for name, recipe in sorted(BUILTIN.items()):
        glassnet.manual_seed(0)
        data = prepare(recipe, warn=False)
        pre = data.preprocessing
        model = build(recipe, pre, data.num_outputs)
        shape = tuple(pre.input_shape)
        roundtrip(tmp_path, model, lambda b, s=shape: glassnet.randn(b, *s), name=name)


class Mixer(nn.Module):
    """Reshapes, indexing, concatenation, softmax and friends in a custom forward."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(6, 8)

    def forward(self, x):
        h = self.proj(x)  # (B, 6) -> (B, 8)
        a = h.view(-1, 2, 4).permute(0, 2, 1).reshape(h.shape[0], 8)
        b = glassnet.cat([h[:, 5:], h[:, :5]], dim=1)
        c = (a * b).softmax(dim=-1) + h.log_softmax(dim=1) - h.mean(dim=1, keepdim=True)
        d = c.unsqueeze(1).transpose(1, 2)[..., 0]
        return glassnet.stack([d, h.sigmoid(), h.tanh().abs()], dim=1).sum(dim=1)


LAYERS = {
    "conv1d_pool1d": lambda: (
        nn.Sequential(
            nn.Conv1d(3, 4, 3, stride=2, padding=1, dilation=1),
            nn.MaxPool1d(2),
            nn.Conv1d(4, 4, 3, padding=2, dilation=2, groups=2),
            nn.AvgPool1d(2),
        ),
        lambda b: glassnet.randn(b, 3, 17),
    ),
    "conv_transpose": lambda: (
        nn.Sequential(
            nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1),
            nn.GroupNorm(2, 4),
            nn.ConvTranspose2d(4, 2, (2, 3), stride=(1, 2)),
        ),
        images(3, 5, 6),
    ),
    "conv_transpose1d": lambda: (
        nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1),
        lambda b: glassnet.randn(b, 3, 9),
    ),
    "pools_norms": lambda: (
        nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1),
            nn.BatchNorm2d(4),
            nn.MaxPool2d(3, stride=2, padding=1),
            nn.AvgPool2d(2),
            nn.AdaptiveAvgPool2d((3, 2)),
            nn.Flatten(),
            nn.LayerNorm(24),
        ),
        images(3, 11),
    ),
    "activations": lambda: (
        nn.Sequential(
            nn.Linear(5, 12),
            nn.LeakyReLU(0.1),
            nn.ELU(0.7),
            nn.GELU(approximate="tanh"),
            nn.Hardswish(),
            nn.Softplus(beta=2.0),
            nn.SiLU(),
            nn.Hardsigmoid(),
            nn.Mish(),
            nn.ReLU6(),
            nn.Dropout(0.5),
            nn.Softmax(dim=1),
        ),
        lambda b: glassnet.randn(b, 5) * 3,
    ),
    "mixer": lambda: (Mixer(), lambda b: glassnet.randn(b, 6)),
    "gru_bidirectional": lambda: (
        _First(nn.GRU(3, 5, num_layers=2, batch_first=True, bidirectional=True)),
        lambda b: glassnet.randn(b, 4, 3),
    ),
    "rnn_relu_time_major": lambda: (
        _First(nn.RNN(3, 4, nonlinearity="relu")),
        lambda b: glassnet.randn(6, b, 3),
    ),
    "lstm_bidirectional": lambda: (
        _First(nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)),
        lambda b: glassnet.randn(b, 5, 3),
    ),
    "lstm_final_state": lambda: (
        _Final(nn.LSTM(3, 4, num_layers=2, batch_first=True)),
        lambda b: glassnet.randn(b, 5, 3),
    ),
    "transformer_post_norm": lambda: (
        nn.TransformerEncoder(
            nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True), 2
        ),
        lambda b: glassnet.randn(b, 5, 8),
    ),
    "embedding": lambda: (
        nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 2)),
        tokens(10, 3),
    ),
}


class _First(nn.Module):
    """The output sequence of a recurrent layer (its first result)."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        return self.rnn(x)[0]


class _Final(nn.Module):
    """The final hidden and cell states of an LSTM, joined along the features."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        _, (h, c) = self.rnn(x)
        return glassnet.cat([h, c], dim=2).permute(1, 0, 2)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_in_onnx_runtime(tmp_path, name):
    glassnet.manual_seed(1)
    model, make_input = LAYERS[name]()
    if name == "rnn_relu_time_major":  # the batch is axis 1 here: compare at one batch size
        model.eval()
        x = make_input(2)
        path = os.path.join(tmp_path, "rnn.onnx")
        export(model, x, path)
        (got,) = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
            None, {"input": x.numpy()}
        )
        with glassnet.no_grad():
            assert_close(got, model(x).numpy())
        return
    roundtrip(tmp_path, model, make_input, name=name)


def test_matches_torch_onnx_export_of_the_twin(tmp_path):
    # The same weights in PyTorch's LeNet-shaped twin, exported by torch.onnx: both files give
    # the same answers in ONNX Runtime.
    import torch

    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 2))
    model.eval()
    twin = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(48, 2)
    )
    twin.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in model.state_dict().items()})
    twin.eval()
    x = glassnet.randn(2, 1, 6, 6)
    ours, theirs = os.path.join(tmp_path, "ours.onnx"), os.path.join(tmp_path, "theirs.onnx")
    export(model, x, ours, input_names=["input"], output_names=["output"])
    try:
        torch.onnx.export(
            twin, (torch.from_numpy(x.numpy()),), theirs, input_names=["input"], dynamo=False
        )
    except Exception as exc:  # torch.onnx's own dependencies missing: nothing to compare
        pytest.skip(f"torch.onnx.export unavailable here: {exc}")
    run = [
        ort.InferenceSession(p, providers=["CPUExecutionProvider"]).run(None, {"input": x.numpy()})
        for p in (ours, theirs)
    ]
    assert_close(run[0][0], run[1][0])


class _Sorter(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(4, 4)

    def forward(self, x):
        return self.head(x).cumsum(dim=1)


def test_unsupported_op_names_op_and_layer(tmp_path):
    model = nn.Sequential(nn.Linear(4, 4), _Sorter())
    with pytest.raises(ExportError) as info:
        export(model, glassnet.randn(2, 4), os.path.join(tmp_path, "x.onnx"))
    message = str(info.value)
    assert "layer 1" in message and info.value.path == "1"
    assert info.value.op is not None and info.value.op in message
    assert not os.path.exists(os.path.join(tmp_path, "x.onnx"))  # nothing half-written


def test_training_mode_batch_norm_is_exported_in_eval_and_mode_restored(tmp_path):
    model = MLP(3, [4], 2, batch_norm=True)
    model.train()
    roundtrip_path = os.path.join(tmp_path, "m.onnx")
    export(model, glassnet.randn(2, 3), roundtrip_path)
    assert model.training  # the caller's mode comes back


def test_file_object_and_names(tmp_path):
    import io

    buffer = io.BytesIO()
    model = nn.Linear(3, 2)
    proto = export(
        model, glassnet.randn(1, 3), buffer, input_names=["features"], output_names=["logits"]
    )
    loaded = onnx.load_from_string(buffer.getvalue())
    assert [i.name for i in loaded.graph.input] == ["features"]
    assert [o.name for o in loaded.graph.output] == ["logits"]
    assert {i.name for i in proto.graph.initializer} >= {"weight", "bias"}


@pytest.mark.parametrize("opset", [18, 20])
@pytest.mark.parametrize("name", ["mixer", "conv_transpose", "lstm_bidirectional"])
def test_newer_opsets(tmp_path, name, opset):
    # opset 18 moved the reductions' axes from an attribute to an input
    glassnet.manual_seed(2)
    model, make_input = LAYERS[name]()
    model.eval()
    x = make_input(2)
    path = os.path.join(tmp_path, f"{name}-{opset}.onnx")
    proto = export(model, x, path, opset_version=opset)
    assert proto.opset_import[0].version == opset
    (got,) = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
        None, {"input": x.numpy()}
    )
    with glassnet.no_grad():
        assert_close(got, model(x).numpy())


def test_old_opset_refused(tmp_path):
    with pytest.raises(ValueError, match="opset_version 13"):
        export(nn.Linear(2, 2), glassnet.ones(1, 2), str(tmp_path / "x.onnx"), opset_version=13)


# ---- the text, ViT, U-Net and detector models -------------------------------------------
class _Seq2Seq(nn.Module):
    """T5 with its two token inputs as positional arguments (export passes them in order)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, decoder_input_ids):
        return self.model(input_ids=input_ids, decoder_input_ids=decoder_input_ids).logits


def _more_zoo():
    from glassnet.models import (
        BertForMaskedLM,
        BertForSequenceClassification,
        BertModel,
        CenterNet,
        GPT2LMHeadModel,
        T5ForConditionalGeneration,
        UNet,
        VisionTransformer,
    )

    bert = dict(
        vocab_size=30,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
    )
    words = tokens(30, 6)
    return {
        "BertModel": (BertModel(**bert), (words,)),
        "BertForSequenceClassification": (
            BertForSequenceClassification(num_labels=3, **bert),
            (words,),
        ),
        "BertForMaskedLM": (BertForMaskedLM(**bert), (words,)),
        "GPT2LMHeadModel": (
            GPT2LMHeadModel(vocab_size=30, n_positions=16, n_embd=16, n_layer=2, n_head=2),
            (words,),
        ),
        "T5ForConditionalGeneration": (
            _Seq2Seq(
                T5ForConditionalGeneration(
                    vocab_size=30, d_model=16, d_kv=8, d_ff=32, num_layers=1, num_heads=2
                )
            ),
            (words, tokens(30, 4)),
        ),
        "VisionTransformer": (
            VisionTransformer(
                image_size=16,
                patch_size=8,
                num_layers=2,
                num_heads=2,
                hidden_dim=16,
                mlp_dim=32,
                num_classes=3,
            ),
            (images(3, 16),),
        ),
        "UNet": (UNet(3, 2, base_channels=4, depth=2), (images(3, 16),)),
        "CenterNet": (CenterNet(3, 3, width=8), (images(3, 32),)),
    }


MORE_ZOO = [
    "BertModel",
    "BertForSequenceClassification",
    "BertForMaskedLM",
    "GPT2LMHeadModel",
    "T5ForConditionalGeneration",
    "VisionTransformer",
    "UNet",
    "CenterNet",
]


def _tensors(out):
    if isinstance(out, dict):
        return [t for v in out.values() for t in _tensors(v)]
    if isinstance(out, (tuple, list)):
        return [t for v in out for t in _tensors(v)]
    return [out]


@pytest.mark.parametrize("name", MORE_ZOO)
def test_more_zoo_models_in_onnx_runtime(tmp_path, name):
    # Several inputs and outputs (Hugging Face ModelOutputs, the detector's dict): every
    # output, named after its key, compared at two batch sizes.
    glassnet.manual_seed(0)
    model, makers = _more_zoo()[name]
    model.eval()
    example = tuple(make(2) for make in makers)
    with glassnet.no_grad():
        n_out = len(_tensors(model(*example)))
    names_in = [f"in{i}" for i in range(len(makers))]
    names_out = [f"out{i}" for i in range(n_out)]
    dynamic = {n: {0: "batch"} for n in names_in + names_out}
    path = os.path.join(tmp_path, f"{name}.onnx")
    export(model, example, path, input_names=names_in, output_names=names_out, dynamic_axes=dynamic)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for b in (2, 3):
        xs = example if b == 2 else tuple(make(b) for make in makers)
        with glassnet.no_grad():
            refs = [t.numpy() for t in _tensors(model(*xs))]
        got = session.run(None, {n: x.numpy() for n, x in zip(names_in, xs)})
        assert len(got) == len(refs)
        for g, r in zip(got, refs):
            assert_close(g, r)


def test_every_model_in_glassnet_models_is_covered():
    import glassnet.models as models

    # Every model class; the lower-case vision constructors (vgg16, resnet50, ...) build the
    # same classes as the ones tested above at other depths; BasicBlock is ResNet's block, ViT
    # another name of VisionTransformer.
    covered = set(ZOO) | set(MORE_ZOO) | {"BasicBlock", "ViT"}
    missing = [
        n
        for n in models.__all__
        if isinstance(getattr(models, n), type)
        and issubclass(getattr(models, n), nn.Module)
        and n not in covered
    ]
    assert not missing, f"models without an ONNX test: {missing}"


def test_program_recipe_models(tmp_path):
    # The models the program recipes train, built as those recipes build them (untrained),
    # at the recipes' image sizes.
    from glassnet.models import CenterNet, UNet
    from glassnet.models.vision import detection_recipe, segmentation_recipe

    glassnet.manual_seed(0)
    unet = UNet(3, len(segmentation_recipe.CLASS_NAMES), base_channels=16, depth=2)
    size = segmentation_recipe.DEFAULTS["size"]
    roundtrip(tmp_path, unet, images(3, size), name="shapes-unet")
    detector = CenterNet(num_classes=len(detection_recipe.SHAPES), width=32).eval()
    size = detection_recipe.DEFAULTS["size"]
    x = glassnet.randn(2, 3, size, size)
    path = os.path.join(tmp_path, "shapes-detector.onnx")
    proto = export(detector, x, path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = dict(zip([o.name for o in proto.graph.output], session.run(None, {"input": x.numpy()})))
    with glassnet.no_grad():
        for key, value in detector(x).items():
            assert_close(got[key], value.numpy())


def test_tracing_leaves_nothing_behind(tmp_path):
    # The tracer slot is cleared and the layers' forward wrappers removed, after a successful
    # export and after a failed one.
    from glassnet import autograd

    model = nn.Sequential(nn.Linear(4, 4), _Sorter())
    export(model[0], glassnet.randn(1, 4), str(tmp_path / "ok.onnx"))
    with pytest.raises(ExportError):
        export(model, glassnet.randn(1, 4), str(tmp_path / "bad.onnx"))
    assert autograd._tracer is None
    assert all("forward" not in m.__dict__ for m in model.modules())
    x = glassnet.randn(3, 4, requires_grad=True)
    model[0](x).sum().backward()  # the model still trains as before
    assert x.grad.shape == (3, 4)
