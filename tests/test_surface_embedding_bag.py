"""EmbeddingBag (nn, F and torch.embedding_bag) against PyTorch: modes sum/mean/max, offsets
(with empty bags and include_last_offset), 2-D input, padding_idx, per_sample_weights."""

import numpy as np
import pytest
import torch

import glassnet
import glassnet.nn.functional as F
from glassnet import nn
from tests.helpers import check_layer, check_op

IDS = np.array([0, 2, 4, 5, 1, 3, 2, 2])
OFFSETS = np.array([0, 2, 2, 5])  # the second bag is empty


def _gl(a):
    return glassnet.tensor(a)


def _th(a):
    return torch.tensor(a)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
@pytest.mark.parametrize("last", [False, True])
def test_functional_embedding_bag_matches_torch(mode, padding_idx, last):
    # the last offset is the size of the input, as documented (PyTorch's kernels disagree on
    # what a smaller one means)
    offsets = np.append(OFFSETS, IDS.size) if last else OFFSETS
    check_op(
        [(6, 3)],
        lambda w: F.embedding_bag(
            _gl(IDS), w, _gl(offsets), mode=mode, padding_idx=padding_idx, include_last_offset=last
        ),
        lambda w: torch.nn.functional.embedding_bag(
            _th(IDS), w, _th(offsets), mode=mode, padding_idx=padding_idx, include_last_offset=last
        ),
        # max is piecewise linear: the seeded values have no ties, so the derivative exists
    )


def test_per_sample_weights_get_a_gradient():
    (psw,) = [np.linspace(0.5, 2.0, IDS.size)]
    check_op(
        [(6, 3)],
        lambda w, p: F.embedding_bag(_gl(IDS), w, _gl(OFFSETS), mode="sum", per_sample_weights=p),
        lambda w, p: torch.nn.functional.embedding_bag(
            _th(IDS), w, _th(OFFSETS), mode="sum", per_sample_weights=p
        ),
        inputs=[np.random.default_rng(0).normal(size=(6, 3)), psw],
    )


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_layer_with_2d_input(mode):
    ids = np.array([[1, 2, 3], [4, 4, 0]])
    check_layer(
        nn.EmbeddingBag(6, 4, mode=mode),
        torch.nn.EmbeddingBag(6, 4, mode=mode),
        [],
        inputs=[ids],
        input_grad=False,
    )
    assert repr(nn.EmbeddingBag(6, 4, mode=mode, padding_idx=1)) == repr(
        torch.nn.EmbeddingBag(6, 4, mode=mode, padding_idx=1)
    )


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_torch_embedding_bag_returns_the_four_tensors(mode, padding_idx):
    w = np.random.default_rng(1).normal(size=(6, 3))
    got = glassnet.embedding_bag(
        _gl(w), _gl(IDS), _gl(OFFSETS), False, mode, False, None, False, padding_idx
    )
    want = torch.embedding_bag(
        _th(w), _th(IDS), _th(OFFSETS), False, mode, False, None, False, padding_idx
    )
    np.testing.assert_allclose(got[0].numpy(), want[0].numpy(), rtol=1e-12)
    for g, t in zip(got[1:], want[1:]):
        assert g.tolist() == t.tolist()


def test_embedding_bag_errors_name_the_fix():
    w = glassnet.ones(4, 2)
    with pytest.raises(ValueError, match="offsets is required"):
        F.embedding_bag(_gl(np.array([0, 1])), w)
    with pytest.raises(ValueError, match="per_sample_weights is only supported"):
        F.embedding_bag(
            _gl(np.array([[0, 1]])), w, mode="max", per_sample_weights=glassnet.ones(1, 2)
        )
