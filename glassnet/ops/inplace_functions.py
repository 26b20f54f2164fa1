"""In-place forms: the ``torch.NAME_(x, ...)`` functions (``torch.relu_(x)``, ``torch.clamp_``)
and the Tensor methods ``x.eq_(y)``, ``x.log2_()``, ``x.cumsum_(0)``, ... that the op files
do not define themselves. Each computes out of place and writes back through
``Tensor._inplace``, which keeps autograd correct (or refuses, as PyTorch does).

>>> import glassnet
>>> x = glassnet.tensor([-1.0, 4.0])
>>> glassnet.relu_(x)
tensor([0., 4.])
>>> x.eq_(glassnet.tensor([0.0, 3.0]))
tensor([1., 0.])
"""

from __future__ import annotations

from glassnet.ops import arithmetic, comparison, elementwise, scan, shape_join
from glassnet.ops._pointwise import inplace_method

# torch.NAME_(input, ...) is input.NAME_(...); looked up when called, so any op file may
# define the method.
_TORCH_INPLACE = (
    "abs acos acosh addmv arccos arccosh arcsin arcsinh arctan arctanh asin asinh atan atanh "
    "ceil clamp clamp_max clamp_min clip cos cosh deg2rad erf erfc exp exp2 expm1 fix floor frac "
    "gcd i0 lcm ldexp log log10 log1p log2 logit nan_to_num neg negative rad2deg reciprocal "
    "relu round rsqrt sigmoid sin sinc sinh sqrt square tan tanh trunc xlogy"
).split()


def _forward_to_method(name):
    method = name + "_"

    def function(input, *args, **kwargs):
        return getattr(input, method)(*args, **kwargs)

    function.__name__ = method
    function.__doc__ = f"In-place {name}: ``input.{method}(...)``."
    return function


for _name in _TORCH_INPLACE:
    globals()[_name + "_"] = _forward_to_method(_name)

__all__ = [name + "_" for name in _TORCH_INPLACE]

_OUT_OF_PLACE = {
    "eq": comparison.eq,
    "ne": comparison.ne,
    "lt": comparison.lt,
    "le": comparison.le,
    "gt": comparison.gt,
    "ge": comparison.ge,
    "greater": comparison.gt,
    "greater_equal": comparison.ge,
    "less": comparison.lt,
    "less_equal": comparison.le,
    "not_equal": comparison.ne,
    "logical_and": comparison.logical_and,
    "logical_or": comparison.logical_or,
    "logical_xor": comparison.logical_xor,
    "logical_not": comparison.logical_not,
    "log2": elementwise.log2,
    "log10": elementwise.log10,
    "tan": elementwise.tan,
    "exp2": elementwise.exp2,
    "cumsum": scan.cumsum,
    "cumprod": scan.cumprod,
    "tril": shape_join.tril,
    "triu": shape_join.triu,
    "divide": arithmetic.div,
    "true_divide": arithmetic.div,
    "multiply": arithmetic.mul,
    "subtract": arithmetic.sub,
    "negative": arithmetic.neg,
}
TENSOR_METHODS = {name + "_": inplace_method(op) for name, op in _OUT_OF_PLACE.items()}
