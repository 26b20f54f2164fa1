"""Convolution weight gradients over long rows: ``rows_dot_rows`` (glassnet/ops/_util.py) sums
the product over 4096-column chunks with the larger operand first, so the layers whose im2col
rows are longer than one chunk are checked against PyTorch here (the other conv tests use
small images). Tolerances: float64 helpers.TOL; float32 sums of up to 36864 products of
magnitude ~1 in chunks of 4096: each chunk's BLAS sum and the chunk additions stay within
about 2^-24 * sqrt(m) relative to the sum of |terms| for random signs, well inside 2e-4
relative with 2e-5 * m^0.5 absolute."""

import numpy as np
import pytest
import torch
from helpers import check_layer

from glassnet import nn
from glassnet.ops._util import rows_dot_rows


@pytest.mark.parametrize("p,q,m", [(6, 25, 9216), (25, 6, 9000), (16, 150, 4096), (3, 3, 5)])
def test_rows_dot_rows_is_the_product_with_the_transpose(p, q, m):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((p, m)), rng.standard_normal((q, m))
    np.testing.assert_allclose(rows_dot_rows(a, b), a @ b.T, rtol=1e-12, atol=1e-12 * m)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "cin,cout,k,pad,batch", [(1, 6, 5, 0, 16), (6, 16, 5, 0, 48), (16, 16, 3, 1, 8)]
)
def test_conv2d_weight_gradient_over_long_rows_matches_torch(cin, cout, k, pad, batch, dtype):
    torch.manual_seed(0)
    t = torch.nn.Conv2d(cin, cout, k, padding=pad)
    g = nn.Conv2d(cin, cout, k, padding=pad)
    atol = None if dtype == "float64" else 2e-5 * np.sqrt(batch * 28 * 28)
    check_layer(g, t, [(batch, cin, 28, 28)], dtype=dtype, atol=atol)
