"""The module paths a PyTorch program imports exist in glassnet and hold the same objects:
``nn.modules.<file>.<Class>``, ``utils.data.*``, ``backends.*``, ``accelerator``, ``cuda``;
their settings start at PyTorch's values (PyTorch here is a CPU build, so the comparisons that
depend on a GPU run where glassnet has none)."""

import importlib
import inspect
import pkgutil
import warnings

import pytest
import torch
import torch.nn.modules
import torch.utils.data

import glassnet
import glassnet.utils.data

NO_GPU = not glassnet.cuda.is_available()


# ---- nn.modules.<file>.<Class> ---------------------------------------------------------------
def torch_layer_files():
    """(file, class name) for every public torch.nn class, at the file PyTorch defines it in."""
    out = []
    for info in pkgutil.iter_modules(torch.nn.modules.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"torch.nn.modules.{info.name}")
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and value.__module__ == module.__name__
                and getattr(torch.nn, name, None) is value
            ):
                out.append((info.name, name))
    return out


TORCH_LAYERS = torch_layer_files()


def test_the_walk_found_torchs_layers():
    # Guards the walk itself: a few well-known layers at their well-known files.
    for pair in [("linear", "Linear"), ("batchnorm", "BatchNorm2d"), ("rnn", "LSTM")]:
        assert pair in TORCH_LAYERS
    assert len(TORCH_LAYERS) > 150


@pytest.mark.parametrize("file, name", TORCH_LAYERS, ids=[f"{f}.{n}" for f, n in TORCH_LAYERS])
def test_every_glassnet_layer_is_at_torchs_module_path(file, name):
    ours = getattr(glassnet.nn, name, None)
    if ours is None:
        return  # a layer glassnet does not have (the coverage test of the op surface lists it)
    module = importlib.import_module(f"glassnet.nn.modules.{file}")
    assert getattr(module, name, None) is ours, f"glassnet.nn.modules.{file}.{name} is missing"
    assert getattr(glassnet.nn.modules, name) is ours  # torch.nn.modules.<Class> too


def test_every_glassnet_nn_class_torch_has_is_reachable_at_its_torch_file():
    # The same from glassnet's side: any class in glassnet.nn that torch.nn also has.
    for name, ours in vars(glassnet.nn).items():
        theirs = getattr(torch.nn, name, None)
        if not inspect.isclass(ours) or not inspect.isclass(theirs):
            continue
        path = theirs.__module__
        if not path.startswith("torch.nn.modules."):
            continue  # Parameter, Buffer live elsewhere in torch
        module = importlib.import_module("glassnet" + path[len("torch") :])
        assert getattr(module, name) is ours, f"{path}.{name}"


@pytest.mark.parametrize(
    "file, base, make",
    [
        ("batchnorm", "_BatchNorm", lambda nn: nn.BatchNorm2d(3)),
        ("batchnorm", "_BatchNorm", lambda nn: nn.BatchNorm1d(3)),
        ("batchnorm", "_BatchNorm", lambda nn: nn.LayerNorm(3)),
        ("loss", "_Loss", lambda nn: nn.MSELoss()),
        ("loss", "_WeightedLoss", lambda nn: nn.CrossEntropyLoss()),
        ("loss", "_WeightedLoss", lambda nn: nn.MSELoss()),
        ("conv", "_ConvNd", lambda nn: nn.Conv2d(1, 1, 1)),
        ("conv", "_ConvNd", lambda nn: nn.ConvTranspose1d(1, 1, 1)),
        ("conv", "_ConvNd", lambda nn: nn.Linear(1, 1)),
        ("dropout", "_DropoutNd", lambda nn: nn.Dropout(0.1)),
        ("pooling", "_MaxPoolNd", lambda nn: nn.MaxPool2d(2)),
        ("pooling", "_AvgPoolNd", lambda nn: nn.AvgPool1d(2)),
        ("padding", "_ConstantPadNd", lambda nn: nn.ZeroPad2d(1)),
    ],
)
def test_private_bases_programs_test_with_isinstance(file, base, make):
    def check(lib):
        module = importlib.import_module(f"{lib.__name__}.nn.modules.{file}")
        return isinstance(make(lib.nn), getattr(module, base))

    assert check(glassnet) == check(torch)


def test_loss_subclassed_through_the_torch_path_works():
    from glassnet.nn.modules.loss import _Loss

    class AbsLoss(_Loss):
        def forward(self, input, target):
            d = (input - target).abs()
            return d.mean() if self.reduction == "mean" else d.sum()

    loss = AbsLoss(reduction="sum")(glassnet.tensor([1.0, -2.0]), glassnet.tensor([0.0, 0.0]))
    assert loss.item() == 3.0


@pytest.mark.parametrize("name", ["_single", "_pair", "_triple", "_quadruple"])
@pytest.mark.parametrize("value", [3, (1, 2), [4, 5, 6]])
def test_nn_modules_utils_tuple_helpers(name, value):
    from torch.nn.modules import utils as torch_utils

    from glassnet.nn.modules import utils

    assert getattr(utils, name)(value) == getattr(torch_utils, name)(value)


def test_consume_prefix_matches_torch():
    from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present as theirs

    from glassnet.nn.modules.utils import consume_prefix_in_state_dict_if_present as ours

    def run(fn):
        sd = {"module.a": 1, "b": 2, "module.c.module.d": 3}
        fn(sd, "module.")
        return list(sd.items())

    assert run(ours) == run(theirs)


# ---- utils.data -------------------------------------------------------------------------------
# torch.utils.data names glassnet leaves out, each for a reason:
DATA_OMISSIONS = {
    "DistributedSampler": "needs a process group; glassnet's data-parallel work owns it",
    "DFIterDataPipe": "torchdata DataPipes: deprecated by PyTorch, not for tutorials",
    "DataChunk": "DataPipes",
    "IterDataPipe": "DataPipes",
    "MapDataPipe": "DataPipes",
    "functional_datapipe": "DataPipes",
    "guaranteed_datapipes_determinism": "DataPipes",
    "non_deterministic": "DataPipes",
    "argument_validation": "DataPipes typing helpers",
    "runtime_validation": "DataPipes typing helpers",
    "runtime_validation_disabled": "DataPipes typing helpers",
    "_DatasetKind": "PyTorch-internal",
}


def test_utils_data_has_torchs_names():
    missing = [
        n
        for n in torch.utils.data.__all__
        if n not in DATA_OMISSIONS and not hasattr(glassnet.utils.data, n)
    ]
    assert missing == []


@pytest.mark.parametrize("file", ["dataset", "sampler", "dataloader"])
def test_utils_data_files_have_torchs_names(file):
    theirs = importlib.import_module(f"torch.utils.data.{file}")
    ours = importlib.import_module(f"glassnet.utils.data.{file}")
    assert [n for n in theirs.__all__ if not hasattr(ours, n)] == []
    for n in theirs.__all__:
        assert getattr(ours, n) is getattr(glassnet.data, n)  # one class, two paths


def test_utils_data_is_reachable_as_an_attribute_after_import_glassnet():
    assert glassnet.utils.data.DataLoader is glassnet.data.DataLoader


# ---- backends, accelerator, cuda -------------------------------------------------------------
def backend_defaults(lib):
    b = lib.backends
    return {
        "cudnn.enabled": b.cudnn.enabled,
        "cudnn.benchmark": b.cudnn.benchmark,
        "cudnn.deterministic": b.cudnn.deterministic,
        "cudnn.allow_tf32": b.cudnn.allow_tf32,
        "matmul.allow_tf32": b.cuda.matmul.allow_tf32,
        "matmul.fp16_reduced": b.cuda.matmul.allow_fp16_reduced_precision_reduction,
        "mps.is_available": b.mps.is_available(),
        "mps.is_built": b.mps.is_built(),
        "flash_sdp": b.cuda.flash_sdp_enabled(),
        "math_sdp": b.cuda.math_sdp_enabled(),
        "mem_efficient_sdp": b.cuda.mem_efficient_sdp_enabled(),
        "precision": lib.get_float32_matmul_precision(),
        "deterministic": lib.are_deterministic_algorithms_enabled(),
    }


def test_backend_switches_start_at_torchs_defaults():
    assert backend_defaults(glassnet) == backend_defaults(torch)


def test_backend_switches_are_settable_and_restored():
    def scenario(lib):
        b = lib.backends
        seen = []
        try:
            b.cudnn.benchmark = True
            b.cudnn.deterministic = True
            b.cuda.matmul.allow_tf32 = True
            seen.append(
                (b.cudnn.benchmark, b.cudnn.deterministic, lib.get_float32_matmul_precision())
            )
            b.cuda.matmul.allow_tf32 = False
            lib.set_float32_matmul_precision("medium")
            seen.append((lib.get_float32_matmul_precision(), b.cuda.matmul.allow_tf32))
            lib.set_float32_matmul_precision("highest")
            seen.append((lib.get_float32_matmul_precision(), b.cuda.matmul.allow_tf32))
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                lib.set_float32_matmul_precision("fastest")
            seen.append((lib.get_float32_matmul_precision(), len(caught) == 1))
            with b.cudnn.flags(enabled=False, benchmark=True):
                seen.append((b.cudnn.enabled, b.cudnn.benchmark))
            seen.append((b.cudnn.enabled, b.cudnn.benchmark))
            lib.use_deterministic_algorithms(True, warn_only=True)
            seen.append(
                (
                    lib.are_deterministic_algorithms_enabled(),
                    lib.is_deterministic_algorithms_warn_only_enabled(),
                )
            )
            try:
                b.cuda.matmul.allow_tf33 = True
            except AttributeError:
                seen.append("AttributeError")
        finally:
            b.cudnn.benchmark = b.cudnn.deterministic = False
            b.cuda.matmul.allow_tf32 = False
            lib.use_deterministic_algorithms(False)
        return seen

    assert scenario(glassnet) == scenario(torch)
    assert backend_defaults(glassnet) == backend_defaults(torch)


@pytest.mark.skipif(
    not NO_GPU, reason="PyTorch here is a CPU build: compared where glassnet has no GPU too"
)
def test_cpu_only_answers_match_torchs_cpu_build():
    def scenario(lib):
        return (
            lib.cuda.is_available(),
            lib.cuda.device_count(),
            lib.cuda.manual_seed(1),
            lib.cuda.manual_seed_all(1),
            lib.cuda.empty_cache(),
            lib.cuda.memory_allocated(),
            lib.cuda.memory_reserved(),
            lib.cuda.is_bf16_supported(),
            lib.accelerator.is_available(),
            lib.accelerator.current_accelerator(),
            lib.accelerator.device_count(),
            lib.backends.cudnn.is_available(),
        )

    assert scenario(glassnet) == scenario(torch)


@pytest.mark.skipif(not NO_GPU, reason="without a GPU only")
@pytest.mark.parametrize("call", ["current_device", "synchronize", "get_device_name", "init"])
def test_device_queries_without_a_gpu_explain_how_to_get_one(call):
    with pytest.raises(glassnet.DeviceError, match="pip install glassnet\\[cuda\\]"):
        getattr(glassnet.cuda, call)()


def test_cuda_with_a_gpu(device):
    if device != "cuda":
        pytest.skip("needs a GPU")
    cuda = glassnet.cuda
    assert cuda.is_available() and cuda.device_count() >= 1 and cuda.current_device() == 0
    name = cuda.get_device_name()
    assert isinstance(name, str) and name and cuda.get_device_name("cuda:0") == name
    major, minor = cuda.get_device_capability()
    assert major >= 3 and minor >= 0
    assert glassnet.accelerator.is_available()
    assert glassnet.accelerator.current_accelerator().type == "cuda"
    x = glassnet.ones(1000, device="cuda")
    cuda.synchronize()
    assert cuda.memory_allocated() >= 4000 and cuda.memory_reserved() >= cuda.memory_allocated()
    del x
    cuda.empty_cache()
    cuda.manual_seed_all(7)
    a = glassnet.randn(5, device="cuda").tolist()
    cuda.manual_seed(7)
    assert glassnet.randn(5, device="cuda").tolist() == a  # GPU draws repeat after seeding
    with pytest.raises(glassnet.DeviceError, match="one GPU"):
        cuda.set_device(1)


def test_inference_mode_and_flags_exist_at_top_level():
    for name in ["inference_mode", "is_inference_mode_enabled", "no_grad", "enable_grad"]:
        assert callable(getattr(glassnet, name)) and callable(getattr(torch, name))
