"""The torch.<name> spellings of functional ops whose arguments differ from F's (batch_norm,
embedding, rms_norm, conv3d, conv_transpose3d, max_pool3d, the in-place dropouts)."""

import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import check_op, make_inputs


def test_torch_batch_norm_and_rms_norm():
    rm, rv = make_inputs([(3,), (3,)], seed=2, positive=True)
    for training in (True, False):
        check_op(
            [(4, 3, 2), (3,), (3,)],
            lambda x, w, b: glassnet.batch_norm(
                x, w, b, glassnet.tensor(rm), glassnet.tensor(rv), training, 0.1, 1e-5, False
            ),
            lambda x, w, b: torch.batch_norm(
                x, w, b, torch.tensor(rm), torch.tensor(rv), training, 0.1, 1e-5, False
            ),
            dtypes=("float64",),
        )
    check_op(
        [(2, 5, 4), (4,)],
        lambda x, w: glassnet.rms_norm(x, [4], w, 1e-6),
        lambda x, w: torch.rms_norm(x, [4], w, 1e-6),
    )


@pytest.mark.parametrize("padding_idx", [-1, 2])
def test_torch_embedding_takes_the_weight_first(padding_idx):
    ids = np.array([[0, 2, 4], [2, 1, 1]])
    check_op(
        [(5, 3)],
        lambda w: glassnet.embedding(w, glassnet.tensor(ids), padding_idx),
        lambda w: torch.embedding(w, torch.tensor(ids), padding_idx),
        # the padding row gets no gradient on purpose, so it is not the numeric derivative
        finite_diff=padding_idx < 0,
    )


def test_torch_conv3d_conv_transpose3d_max_pool3d():
    check_op(
        [(1, 2, 4, 4, 3), (3, 2, 2, 3, 2), (3,)],
        lambda x, w, b: glassnet.conv3d(x, w, b, 1, 1),
        lambda x, w, b: torch.conv3d(x, w, b, 1, 1),
        finite_diff=False,
    )
    check_op(
        [(1, 2, 3, 3, 2), (2, 3, 2, 2, 2)],
        lambda x, w: glassnet.conv_transpose3d(x, w, None, 2),
        lambda x, w: torch.conv_transpose3d(x, w, None, 2),
        finite_diff=False,
    )
    check_op(
        [(1, 2, 4, 5, 4)],
        lambda x: glassnet.max_pool3d(x, 2),
        lambda x: torch.max_pool3d(x, 2),
        finite_diff=False,
    )
    check_op(
        [(1, 2, 4, 5, 4)],
        lambda x: glassnet.max_pool3d(x, 3, 2, 1, 1, True),
        lambda x: torch.max_pool3d(x, 3, 2, 1, 1, True),
        finite_diff=False,
    )


@pytest.mark.parametrize(
    "name", ["dropout_", "alpha_dropout_", "feature_dropout_", "feature_alpha_dropout_"]
)
def test_inplace_dropouts_write_into_their_input(name):
    glassnet.manual_seed(0)
    x = glassnet.ones(40, 50, 2)
    out = getattr(glassnet, name)(x, 0.3, True)
    assert out is x
    if name.startswith("feature"):  # one draw per (sample, channel): equal over the last dim
        a = x.numpy()
        assert (a[..., 0] == a[..., 1]).all()
    # dropped share about p: 4000 (sample, channel) draws, standard error sqrt(.21/4000) = .007
    first = x.numpy()[..., 0]
    dropped = np.mean(first != first.max())
    assert abs(dropped - 0.3) < 5 * np.sqrt(0.3 * 0.7 / first.size)
    y = glassnet.ones(3, 4)
    assert getattr(glassnet, name)(y, 0.5, False) is y and y.tolist() == [[1.0] * 4] * 3
    # the same values as the out-of-place op: ones scaled by 1/(1-p), as PyTorch
    t = torch.ones(40, 50, 2)
    getattr(torch, name)(t, 0.3, True)
    assert set(np.unique(x.numpy()).round(5)) == set(np.unique(t.numpy()).round(5))
