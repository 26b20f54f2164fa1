"""glassnet.interop.torch against PyTorch/torchvision: checkpoints the tests save themselves
(torchvision models with random weights) load through torch.load(weights_only=True), zoo
models move both ways with the same outputs, and weights that do not fit are refused with an
error that lists the keys and names the architecture the file looks like."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torchvision
from safetensors.torch import save_file

import glassnet
from glassnet import models
from glassnet.interop.torch import from_torch, load_torch_checkpoint, to_torch
from glassnet.models.vision.weights import WeightsMismatchError


def _torchvision_model(name, num_classes=3, dtype=torch.float32):
    torch.manual_seed(0)
    twin = getattr(torchvision.models, name)(num_classes=num_classes).to(dtype).eval()
    for m in twin.modules():  # running statistics that are not the defaults
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    return twin


def _outputs(torch_model, glassnet_model, side=32, dtype="float32"):
    x = np.random.default_rng(0).standard_normal((2, 3, side, side)).astype(dtype)
    with torch.no_grad():
        expected = torch_model(torch.tensor(x)).numpy()
    with glassnet.no_grad():
        got = glassnet_model(glassnet.tensor(x)).numpy()
    return got, expected


# float32: eps 6e-8 over sums of up to ~1e4 terms in another order; 1e-4 relative to the
# largest logit has a wide margin (the bound). float64: eps 1.1e-16, so 1e-8.
TOL = {"float32": 1e-4, "float64": 1e-8}


def _assert_close(got, expected, dtype="float32"):
    assert np.abs(got - expected).max() <= TOL[dtype] * np.abs(expected).max()


def test_load_torch_checkpoint_reads_a_saved_state_dict(tmp_path):
    twin = _torchvision_model("resnet18")
    path = tmp_path / "resnet18.pth"
    torch.save(twin.state_dict(), path)
    state = load_torch_checkpoint(path)
    assert list(state) == list(twin.state_dict())
    for key, value in twin.state_dict().items():
        assert isinstance(state[key], glassnet.Tensor)
        assert state[key].numpy().dtype == value.numpy().dtype, key
        assert np.array_equal(state[key].numpy(), value.numpy()), key
    model = models.resnet18(num_classes=3, weights=state).eval()
    _assert_close(*_outputs(twin, model))


def test_load_torch_checkpoint_unwraps_training_checkpoints(tmp_path):
    twin = _torchvision_model("mobilenet_v2")
    ddp_keys = {"module." + k: v for k, v in twin.state_dict().items()}  # saved from DDP
    path = tmp_path / "checkpoint.pt"
    torch.save({"epoch": 7, "model": {"state_dict": ddp_keys}, "lr": 0.1}, path)
    state = load_torch_checkpoint(path)
    assert list(state) == list(twin.state_dict())
    model = models.mobilenet_v2(num_classes=3, weights=state).eval()
    _assert_close(*_outputs(twin, model))


def test_load_torch_checkpoint_refuses_pickled_objects(tmp_path):
    path = tmp_path / "whole_model.pt"
    torch.save(torchvision.models.resnet18(num_classes=2), path)  # a pickled Module, not weights
    with pytest.raises(Exception, match="[Ww]eights only load failed|weights_only"):
        load_torch_checkpoint(path)
    path = tmp_path / "numbers.pt"
    torch.save({"epoch": 3, "best": 0.9}, path)
    with pytest.raises(TypeError, match="not a state_dict"):
        load_torch_checkpoint(path)


def test_wrong_architecture_lists_keys_and_names_the_one_it_looks_like(tmp_path):
    path = tmp_path / "resnet18.pth"
    torch.save(_torchvision_model("resnet18").state_dict(), path)
    state = load_torch_checkpoint(path)
    with pytest.raises(WeightsMismatchError) as info:
        models.resnet34(num_classes=3, weights=state)
    message = str(info.value)
    assert "missing keys (96)" in message  # resnet34's extra blocks: 16 convs, 16 BNs x 5
    assert "layer1.2.conv1.weight" in message
    assert "look like resnet18" in message
    with pytest.raises(WeightsMismatchError) as info:
        models.resnet18(num_classes=10, weights=state)
    message = str(info.value)
    assert "fc.weight: (3, 512) in the file, (10, 512) in the model" in message
    assert "num_classes=3" in message
    with pytest.raises(WeightsMismatchError, match="unexpected keys") as info:
        models.mobilenet_v2(num_classes=3, weights=state)
    assert "look like resnet18" in str(info.value)


def test_weights_path_accepts_safetensors_from_the_safetensors_library(tmp_path):
    twin = _torchvision_model("efficientnet_b0")
    path = tmp_path / "efficientnet_b0.safetensors"
    save_file(twin.state_dict(), str(path))
    model = models.efficientnet_b0(num_classes=3, weights=str(path)).eval()
    _assert_close(*_outputs(twin, model))
    again = models.efficientnet_b0(num_classes=3).eval()
    again.load_state_dict(glassnet.load(str(path)), strict=True)  # the same file, by hand
    _assert_close(*_outputs(twin, again))


def test_weights_path_accepts_a_glassnet_file(tmp_path):
    model = models.resnet18(num_classes=4).eval()
    path = tmp_path / "mine.safetensors"
    glassnet.save(model.state_dict(), str(path))
    again = models.resnet18(num_classes=4, weights=str(path)).eval()
    for key, value in model.state_dict().items():
        assert np.array_equal(again.state_dict()[key].numpy(), value.numpy()), key


QUICK = ["resnet18", "resnet34", "mobilenet_v2", "efficientnet_b0"]
# resnet50 takes seconds; VGG and AlexNet hold 60-140M parameters each
HEAVY = ["resnet50", "alexnet", "vgg11", "vgg11_bn", "vgg16", "vgg16_bn"]
CASES = QUICK + [pytest.param(n, marks=pytest.mark.slow) for n in HEAVY]


@pytest.mark.parametrize("name", CASES)
def test_from_torch_builds_the_twin_by_its_keys(name):
    twin = _torchvision_model(name, num_classes=4)
    model = from_torch(twin)
    assert isinstance(model, type(getattr(models, name)(num_classes=1)))
    # resnet18 and resnet34 share a class: the keys told them apart
    assert len(model.state_dict()) == len(twin.state_dict())
    assert not model.training
    _assert_close(*_outputs(twin, model, side=64 if name == "alexnet" else 32))


@pytest.mark.parametrize("name", [n for n in CASES if n != "resnet34"])
def test_to_torch_builds_the_torchvision_twin(name):
    glassnet.manual_seed(0)
    model = getattr(models, name)(num_classes=4).eval()
    twin = to_torch(model)
    assert type(twin).__name__ == type(model).__name__
    for key, value in model.state_dict().items():
        assert np.array_equal(twin.state_dict()[key].numpy(), value.numpy()), key
    _assert_close(*_outputs(twin, model, side=64 if name == "alexnet" else 32))


def test_float64_models_stay_float64_both_ways():
    twin = _torchvision_model("resnet18", dtype=torch.float64)
    model = from_torch(twin)
    assert model.fc.weight.dtype == glassnet.float64
    _assert_close(*_outputs(twin, model, dtype="float64"), dtype="float64")
    back = to_torch(model)
    assert back.fc.weight.dtype == torch.float64
    _assert_close(*_outputs(back, model, dtype="float64"), dtype="float64")


def test_a_model_outside_the_zoo_is_refused():
    with pytest.raises(ValueError, match="match none"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2)))


def test_glassnet_imports_torch_only_inside_interop_calls():
    code = (
        "import sys, glassnet, glassnet.models, glassnet.interop.torch; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root)
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
