"""Module.get_submodule / get_parameter / get_buffer against PyTorch on the same structure
(results and error messages), and Module.load_state_dict reading a safetensors or glassnet file
from a path (a torchvision resnet18 saved by safetensors.torch is the oracle)."""

import pathlib

import numpy as np
import pytest
import safetensors.torch
import torch
import torchvision

import glassnet
from glassnet import models, nn


def _glassnet_net():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)
            self.bn = nn.BatchNorm1d(2)
            self.scale = nn.Parameter(glassnet.ones(2))
            self.register_buffer("steps", glassnet.zeros(1), persistent=False)
            self.width = 2  # a plain attribute: neither a module, a parameter nor a buffer

    return nn.Sequential(nn.Linear(4, 3), nn.Sequential(Block(), nn.ReLU()))


def _torch_net():
    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 2)
            self.bn = torch.nn.BatchNorm1d(2)
            self.scale = torch.nn.Parameter(torch.ones(2))
            self.register_buffer("steps", torch.zeros(1), persistent=False)
            self.width = 2

    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Sequential(Block(), torch.nn.ReLU()))


TARGETS = {
    "get_submodule": [
        "",
        "0",
        "1.0",
        "1.0.fc",
        "1.1",
        "2",
        "1.0.width",
        "1.0.fc.weight",
        "1.x.fc",
        "1.0.fc.bias.extra",
    ],
    "get_parameter": [
        "0.weight",
        "1.0.scale",
        "1.0.fc.bias",
        "1.0.bn.running_mean",
        "1.0.nothing",
        "1.0.width",
        "3.weight",
        "1.0.fc",
        "weight",
    ],
    "get_buffer": [
        "1.0.bn.running_mean",
        "1.0.bn.num_batches_tracked",
        "1.0.steps",
        "1.0.scale",
        "1.0.width",
        "1.0.fc",
        "1.0.missing",
        "2.steps",
    ],
}


def _outcome(root, method, target, names):
    """What the call gives, in terms both libraries share: the found object's name in the
    model, or the AttributeError's message."""
    try:
        found = getattr(root, method)(target)
    except AttributeError as e:
        return "error", str(e)
    return "found", names[id(found)]


def _names(root):
    names = {id(m): ("module", n) for n, m in root.named_modules()}
    for n, p in root.named_parameters():
        names[id(p)] = ("parameter", n)
    for n, b in root.named_buffers():
        names[id(b)] = ("buffer", n)
    return names


@pytest.mark.parametrize("method", sorted(TARGETS))
def test_lookups_find_the_same_objects_and_raise_pytorchs_messages(method):
    ours, theirs = _glassnet_net(), _torch_net()
    our_names, their_names = _names(ours), _names(theirs)
    for target in TARGETS[method]:
        expected = _outcome(theirs, method, target, their_names)
        assert _outcome(ours, method, target, our_names) == expected, (method, target)


def test_get_submodule_of_the_empty_path_is_the_module_itself():
    net = _glassnet_net()
    assert net.get_submodule("") is net
    assert net.get_parameter("1.0.scale") is net[1][0].scale
    assert net.get_buffer("1.0.steps") is net[1][0].steps  # non-persistent buffers count


def _torchvision_resnet18():
    torch.manual_seed(0)
    twin = torchvision.models.resnet18(num_classes=10)
    for m in twin.modules():  # non-trivial running statistics, so the buffers are tested too
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    return twin.eval()


@pytest.mark.parametrize("as_path", [str, pathlib.Path])
def test_load_state_dict_from_a_safetensors_path_matches_torchvision(tmp_path, as_path):
    twin = _torchvision_resnet18()
    path = tmp_path / "resnet18.safetensors"
    safetensors.torch.save_file(twin.state_dict(), str(path))
    model = models.resnet18(num_classes=10)
    result = model.load_state_dict(as_path(path))
    assert result.missing_keys == [] and result.unexpected_keys == []
    model.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        expected = twin(torch.tensor(x)).numpy()
    with glassnet.no_grad():
        got = model(glassnet.tensor(x)).numpy()
    # float32 through 20 layers with different summation orders: relative error ~1e-6 per
    # layer, far below 1e-4 of the largest logit
    assert np.abs(got - expected).max() <= 1e-4 * np.abs(expected).max()


def test_load_state_dict_from_a_glassnet_file_and_strict_false(tmp_path):
    source = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    source[1].running_mean._data[...] = [0.25, -1.5]
    path = tmp_path / "weights.safetensors"
    glassnet.save(source.state_dict(), str(path))
    target = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    target.load_state_dict(str(path))
    for key, value in source.state_dict().items():
        assert np.array_equal(target.state_dict()[key].numpy(), value.numpy()), key
    # strict=False: the keys the model lacks are reported, not raised
    bigger = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2), nn.Linear(2, 1))
    result = bigger.load_state_dict(path, strict=False)
    assert result.missing_keys == ["2.weight", "2.bias"] and result.unexpected_keys == []
    assert np.array_equal(bigger[0].weight._data, source[0].weight._data)


def test_a_wrong_file_gives_the_error_listing_keys_and_the_file(tmp_path):
    twin = _torchvision_resnet18()
    path = tmp_path / "resnet18.safetensors"
    safetensors.torch.save_file(twin.state_dict(), str(path))
    model = nn.Sequential(nn.Linear(3, 2))
    with pytest.raises(RuntimeError) as caught:
        model.load_state_dict(str(path))
    message = str(caught.value)
    # PyTorch loading the same file: its wording (up to the spaces it leaves at line ends),
    # then the file it came from
    with pytest.raises(RuntimeError) as torch_caught:
        torch.nn.Sequential(torch.nn.Linear(3, 2)).load_state_dict(
            safetensors.torch.load_file(path)
        )
    expected = [line.rstrip() for line in str(torch_caught.value).splitlines()]
    assert [line.rstrip() for line in message.splitlines()][: len(expected)] == expected
    assert (
        '"0.weight"' in message and '"fc.weight"' in message and "layer1.0.conv1.weight" in message
    )
    assert str(path) in message


def test_a_shape_mismatch_from_a_file_is_listed(tmp_path):
    path = tmp_path / "small.safetensors"
    glassnet.save(nn.Linear(3, 2).state_dict(), str(path))
    with pytest.raises(RuntimeError, match=r"size mismatch for weight.*\(2, 3\).*\(4, 3\)"):
        nn.Linear(3, 4).load_state_dict(str(path))


def test_a_file_that_is_not_a_state_dict_is_refused(tmp_path):
    path = tmp_path / "list.safetensors"
    glassnet.save([glassnet.ones(2)], str(path))
    with pytest.raises(TypeError, match="not a state_dict"):
        nn.Linear(2, 1).load_state_dict(str(path))
