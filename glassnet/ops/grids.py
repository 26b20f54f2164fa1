"""Coordinate grids: meshgrid.

Each output is an expanded view of one input (no copy), so the gradient of each grid sums
back to its vector, as in PyTorch.

>>> import glassnet
>>> x, y = glassnet.meshgrid(glassnet.tensor([1, 2, 3]), glassnet.tensor([4, 5]), indexing="ij")
>>> x.shape, y[0].tolist()
(glassnet.Size([3, 2]), [4, 5])
"""

from __future__ import annotations

from glassnet.errors import ShapeError


def meshgrid(*tensors, indexing="ij"):
    """Grids from 1-D (or 0-d) tensors: with ``indexing='ij'`` grid k varies along dim k;
    with ``'xy'`` the first two dims are swapped (NumPy's and MATLAB's convention).

    >>> import glassnet
    >>> x, y = glassnet.tensor([1, 2]), glassnet.tensor([7, 8, 9])
    >>> gx, gy = glassnet.meshgrid(x, y, indexing="xy")
    >>> gx.tolist()
    [[1, 2], [1, 2], [1, 2]]
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    for i, t in enumerate(tensors):
        if t._data.ndim > 1:
            raise ShapeError(
                f"meshgrid: expects all tensors to be 0- or 1-dimensional, but input {i} has "
                f"shape {list(t.shape)}"
            )
        if t._data.dtype != tensors[0]._data.dtype:
            raise TypeError(
                f"meshgrid expects all tensors to have the same dtype, got {tensors[0].dtype} "
                f"and {t.dtype}"
            )
    vectors = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(vectors) >= 2
    if swap:
        vectors[0], vectors[1] = vectors[1], vectors[0]
    shape = tuple(v.shape[0] for v in vectors)
    grids = []
    for k, v in enumerate(vectors):
        view = [1] * len(vectors)
        view[k] = shape[k]
        grids.append(v.reshape(view).expand(shape))
    if swap:  # the grids of the swapped inputs, back in the order of the inputs
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


__all__ = ["meshgrid"]
