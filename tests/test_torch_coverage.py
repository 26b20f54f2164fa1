"""Coverage of PyTorch's public names: every name of torch, torch.Tensor, torch.nn,
torch.nn.functional, torch.linalg, torch.fft and torch.special is in glassnet, or left out on
purpose with its reason (glassnet/as_torch/coverage.py), or on the open list below.

The open list is issue 10's remaining work, kept exact: the test fails when a new torch name
appears that is in none of the three, and when a listed name gets implemented (then it must
leave the list).
"""

import pytest
import torch

import glassnet
import glassnet.nn.functional as F
from glassnet.as_torch.coverage import reason_left_out

NAMESPACES = {
    "torch": (torch, glassnet),
    "torch.Tensor": (torch.Tensor, glassnet.Tensor),
    "torch.nn": (torch.nn, glassnet.nn),
    "torch.nn.functional": (torch.nn.functional, F),
    "torch.linalg": (torch.linalg, glassnet.linalg),
    "torch.fft": (torch.fft, glassnet.fft),
    "torch.special": (torch.special, glassnet.special),
}

# Not yet in glassnet: empty now that issue 10's op surface is done. A torch release that adds
# public names makes the first test fail; implement them, document them as left out, or list
# them here while they are being written.
STILL_TO_DO = {
    "torch": [],
    "torch.Tensor": [],
    "torch.nn": [],
    "torch.nn.functional": [],
    "torch.linalg": [],
    "torch.fft": [],
    "torch.special": [],
}


def _public(obj):
    return sorted(n for n in dir(obj) if not n.startswith("_"))


@pytest.mark.parametrize("namespace", list(NAMESPACES))
def test_every_torch_name_is_implemented_left_out_or_listed(namespace):
    theirs, ours = NAMESPACES[namespace]
    todo = set(STILL_TO_DO[namespace])
    unaccounted = [
        n
        for n in _public(theirs)
        if not hasattr(ours, n) and reason_left_out(namespace, n) is None and n not in todo
    ]
    assert unaccounted == [], f"{namespace}: implement these or document why not"


@pytest.mark.parametrize("namespace", list(NAMESPACES))
def test_the_open_list_is_exact(namespace):
    theirs, ours = NAMESPACES[namespace]
    done = [n for n in STILL_TO_DO[namespace] if hasattr(ours, n)]
    assert done == [], f"{namespace}: these exist now; remove them from STILL_TO_DO"
    gone = [n for n in STILL_TO_DO[namespace] if not hasattr(theirs, n)]
    assert gone == [], f"{namespace}: PyTorch has no such names"


def test_most_of_the_surface_is_there():
    """The figure for the note: share of torch's public names glassnet has, per namespace
    (left-out names not counted)."""
    for namespace, (theirs, ours) in NAMESPACES.items():
        relevant = [n for n in _public(theirs) if reason_left_out(namespace, n) is None]
        have = sum(hasattr(ours, n) for n in relevant)
        assert have >= 0.7 * len(relevant), (namespace, have, len(relevant))


def test_top_level_spellings_match_pytorch():
    x = torch.randn(1, 2, 6, 6)
    w = torch.randn(3, 2, 3, 3)
    got = glassnet.conv2d(glassnet.tensor(x.numpy()), glassnet.tensor(w.numpy()), padding=1)
    want = torch.conv2d(x, w, padding=1)
    # a 2*3*3 = 18-term sum per output in float32: well inside 1e-5 of each other
    assert (abs(got.numpy() - want.numpy()) < 1e-5).all()
    assert glassnet.pi == torch.pi and glassnet.e == torch.e and glassnet.inf == torch.inf
    assert float(glassnet.finfo(glassnet.float32).eps) == torch.finfo(torch.float32).eps
    assert int(glassnet.iinfo(glassnet.int16).max) == torch.iinfo(torch.int16).max
    v = [1.7, -3.2, 300.0]
    assert glassnet.tensor(v).short().tolist() == torch.tensor(v).short().tolist()
    assert glassnet.tensor([1.7, 3.2]).byte().tolist() == torch.tensor([1.7, 3.2]).byte().tolist()
    assert (
        glassnet.clip(glassnet.tensor(v), -1, 1).tolist()
        == torch.clip(torch.tensor(v), -1, 1).tolist()
    )
