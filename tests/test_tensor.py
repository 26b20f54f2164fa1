"""Tensor creation, dtypes and type promotion, properties, conversions and repr, with PyTorch as
the oracle."""

import numpy as np
import pytest
import torch

import glassnet
from glassnet.errors import AutogradError


def dtype_name(dtype):
    """'float32', 'int64', 'bool' for a glassnet or a torch dtype."""
    return str(dtype).replace("torch.", "").replace("glassnet.", "")


def assert_same(g, t, exact=True):
    """Same shape, dtype and values (a glassnet tensor against a torch tensor)."""
    assert isinstance(g, glassnet.Tensor)
    assert tuple(g.shape) == tuple(t.shape), (g.shape, t.shape)
    assert dtype_name(g.dtype) == dtype_name(t.dtype), (g.dtype, t.dtype)
    got = glassnet.backend.to_numpy(g._data)
    if exact:
        np.testing.assert_array_equal(got, t.numpy())
    else:
        np.testing.assert_allclose(got, t.numpy(), rtol=1e-6, atol=1e-6)


# ---- creation ------------------------------------------------------------------------------
DATA = [
    3,
    2.5,
    True,
    [1, 2, 3],
    [1.0, 2.0],
    [1, 2.5],
    [[1, 2], [3, 4]],
    [True, False],
    [[True], [False]],
    np.array([1, 2], dtype=np.int32),
    np.array([1.5, 2.5], dtype=np.float64),
    np.array([1, 2], dtype=np.uint8),
    np.float64(2.0),
]


@pytest.mark.parametrize("data", DATA, ids=repr)
def test_tensor_infers_dtype_and_values_like_torch(data, device):
    assert_same(glassnet.tensor(data, device=device), torch.tensor(data))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "int64", "bool"])
def test_tensor_with_dtype(dtype, device):
    data = [[0, 1.5], [2, 3]]
    g = glassnet.tensor(data, dtype=getattr(glassnet, dtype), device=device)
    assert_same(g, torch.tensor(data, dtype=getattr(torch, dtype)))
    assert g.device == device


def test_tensor_copies_and_accepts_tensors():
    a = np.array([1.0, 2.0], dtype=np.float32)
    t = glassnet.tensor(a)
    a[0] = 9.0
    assert t.tolist() == [1.0, 2.0]
    assert glassnet.tensor(t).tolist() == [1.0, 2.0]
    assert glassnet.tensor([glassnet.tensor(1.0), glassnet.tensor(2.0)]).tolist() == [1.0, 2.0]


SIZES = [(2, 3), ((2, 3),), ([4],), ((),), (0,), (1, 1, 2)]


@pytest.mark.parametrize("size", SIZES, ids=repr)
@pytest.mark.parametrize("name", ["zeros", "ones"])
def test_zeros_ones(name, size, device):
    assert_same(getattr(glassnet, name)(*size, device=device), getattr(torch, name)(*size))
    g = getattr(glassnet, name)(*size, dtype=glassnet.int32, device=device)
    assert_same(g, getattr(torch, name)(*size, dtype=torch.int32))


@pytest.mark.parametrize("size", SIZES, ids=repr)
def test_empty_shape_and_dtype(size, device):
    g, t = glassnet.empty(*size, device=device), torch.empty(*size)
    assert tuple(g.shape) == tuple(t.shape) and dtype_name(g.dtype) == dtype_name(t.dtype)
    g = glassnet.empty(*size, dtype=glassnet.float64, device=device)
    assert dtype_name(g.dtype) == "float64"


@pytest.mark.parametrize("fill", [3, 2.5, True, -1])
def test_full_infers_dtype_from_fill(fill, device):
    assert_same(glassnet.full((2, 3), fill, device=device), torch.full((2, 3), fill))
    g = glassnet.full((2,), fill, dtype=glassnet.float64, device=device)
    assert_same(g, torch.full((2,), fill, dtype=torch.float64))


ARANGES = [(5,), (1, 4), (0, 1, 0.1), (5.0,), (0, 10, 3), (5, 0, -1), (-1.0, 1.0, 0.25), (2, 2)]


@pytest.mark.parametrize("args", ARANGES, ids=repr)
def test_arange(args, device):
    assert_same(glassnet.arange(*args, device=device), torch.arange(*args), exact=False)


def test_arange_dtype():
    assert_same(glassnet.arange(4, dtype=glassnet.float64), torch.arange(4, dtype=torch.float64))


@pytest.mark.parametrize("args", [(0, 1, 5), (-1, 1, 1), (2, 3, 4), (0.0, 10.0, 11)], ids=repr)
def test_linspace(args, device):
    assert_same(glassnet.linspace(*args, device=device), torch.linspace(*args), exact=False)
    g = glassnet.linspace(*args, dtype=glassnet.float64)
    assert_same(g, torch.linspace(*args, dtype=torch.float64), exact=False)


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (1,)], ids=repr)
def test_eye(args, device):
    assert_same(glassnet.eye(*args, device=device), torch.eye(*args))
    assert_same(glassnet.eye(*args, dtype=glassnet.int64), torch.eye(*args, dtype=torch.int64))


def test_rand_randn_shape_dtype_and_range(device):
    r = glassnet.rand(1000, 3, device=device)
    assert tuple(r.shape) == (1000, 3) and r.dtype == glassnet.float32 and r.device == device
    values = r.cpu().numpy()
    assert values.min() >= 0.0 and values.max() < 1.0 and 0.45 < values.mean() < 0.55
    n = glassnet.randn((200, 50), device=device).cpu().numpy()
    assert n.dtype == np.float32 and abs(n.mean()) < 0.05 and 0.95 < n.std() < 1.05
    assert glassnet.randn(3, dtype=glassnet.float64).dtype == glassnet.float64
    assert glassnet.rand(2, requires_grad=True).requires_grad


@pytest.mark.parametrize("args,size", [((0, 10), (1000,)), ((5,), (4, 250)), ((-3, 3), (2, 2))])
def test_randint(args, size, device):
    g = glassnet.randint(*args, size, device=device)
    t = torch.randint(*args, size)
    assert tuple(g.shape) == tuple(t.shape) and dtype_name(g.dtype) == dtype_name(t.dtype)
    low, high = (0, args[0]) if len(args) == 1 else args
    values = g.cpu().numpy()
    assert values.min() >= low and values.max() < high
    if values.size >= 1000:
        assert set(np.unique(values)) == set(range(low, high))  # every value can come up


LIKES = [
    ("zeros_like", ()),
    ("ones_like", ()),
    ("full_like", (7,)),
    ("full_like", (0.5,)),
]


@pytest.mark.parametrize("name,args", LIKES, ids=repr)
@pytest.mark.parametrize("dtype", ["float32", "int64", "float64"])
def test_like_functions(name, args, dtype, device):
    base = np.arange(6).reshape(2, 3).astype(dtype)
    g = getattr(glassnet, name)(glassnet.tensor(base, device=device), *args)
    assert_same(g, getattr(torch, name)(torch.tensor(base), *args))
    assert g.device == device
    g = getattr(glassnet, name)(glassnet.tensor(base), *args, dtype=glassnet.float16)
    assert_same(g, getattr(torch, name)(torch.tensor(base), *args, dtype=torch.float16))


@pytest.mark.parametrize("name", ["empty_like", "rand_like", "randn_like"])
def test_like_functions_shape_and_dtype(name, device):
    base = glassnet.zeros(3, 4, dtype=glassnet.float64, device=device)
    g = getattr(glassnet, name)(base)
    assert tuple(g.shape) == (3, 4) and g.dtype == glassnet.float64 and g.device == device
    assert getattr(glassnet, name)(base, dtype=glassnet.float32).dtype == glassnet.float32


def test_randint_like():
    g = glassnet.randint_like(glassnet.zeros(50, dtype=glassnet.int32), 2, 5)
    t = torch.randint_like(torch.zeros(50, dtype=torch.int32), 2, 5)
    assert dtype_name(g.dtype) == dtype_name(t.dtype) and tuple(g.shape) == (50,)
    assert g.numpy().min() >= 2 and g.numpy().max() < 5


def test_from_numpy_shares_memory():
    a = np.array([1.0, 2.0], dtype=np.float64)
    t = glassnet.from_numpy(a)
    assert t.dtype == glassnet.float64
    a[0] = 5.0
    assert t.tolist() == [5.0, 2.0]
    t.data[1] = 7.0
    assert a[1] == 7.0
    with pytest.raises(TypeError, match="from_numpy"):
        glassnet.from_numpy([1.0, 2.0])


def test_as_tensor_shares_memory_only_when_it_can():
    a = np.array([1.0, 2.0], dtype=np.float32)
    shared, converted = glassnet.as_tensor(a), glassnet.as_tensor(a, dtype=glassnet.float64)
    a[0] = 3.0
    assert shared.tolist() == [3.0, 2.0] and converted.tolist() == [1.0, 2.0]
    t = glassnet.tensor([1.0])
    assert glassnet.as_tensor(t) is t
    assert_same(glassnet.as_tensor([1, 2]), torch.as_tensor([1, 2]))


# ---- dtypes and promotion ------------------------------------------------------------------
def test_dtype_objects_and_aliases():
    assert glassnet.float32 == np.float32 and glassnet.float64 == np.float64
    assert glassnet.float is glassnet.float32 and glassnet.double == glassnet.float64
    assert glassnet.long == glassnet.int64 and glassnet.int == glassnet.int32
    assert glassnet.half == glassnet.float16 and glassnet.bool == np.bool_
    for name in ["float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64"]:
        assert dtype_name(getattr(glassnet, name)) == dtype_name(getattr(torch, name))
    assert glassnet.tensor([1.0], dtype="float64").dtype == glassnet.float64
    assert glassnet.tensor([1.0], dtype=float).dtype == glassnet.float32
    with pytest.raises(TypeError, match="unknown dtype"):
        glassnet.tensor([1.0], dtype="float128x")


def test_default_dtype_is_float32_and_can_change():
    assert glassnet.get_default_dtype() == glassnet.float32
    try:
        glassnet.set_default_dtype(glassnet.float64)
        assert glassnet.tensor([1.5]).dtype == glassnet.float64
        assert glassnet.zeros(2).dtype == glassnet.float64
    finally:
        glassnet.set_default_dtype(glassnet.float32)
    with pytest.raises(TypeError):
        glassnet.set_default_dtype(glassnet.int64)


# Operands: ("t", dtype) a 1-d tensor, ("s", dtype) a 0-d tensor, or a Python scalar.
PROMOTIONS = [
    (("t", "float32"), ("t", "float64")),
    (("t", "float16"), ("t", "float32")),
    (("t", "int64"), ("t", "float32")),
    (("t", "int32"), ("t", "int64")),
    (("t", "uint8"), ("t", "int8")),
    (("t", "bool"), ("t", "int32")),
    (("t", "bool"), ("t", "bool")),
    (("t", "uint8"), ("t", "float16")),
    (("t", "int64"), 2.5),
    (("t", "int32"), 3),
    (("t", "float16"), 2.5),
    (("t", "float64"), 2),
    (("t", "bool"), 2),
    (("t", "bool"), 2.5),
    (("t", "bool"), True),
    (("t", "float32"), ("s", "float64")),
    (("t", "int32"), ("s", "int64")),
    (("t", "int32"), ("s", "float64")),
    (("t", "float16"), ("s", "int64")),
    (("s", "float64"), ("t", "int64")),
    (("s", "int64"), ("s", "float16")),
    (("s", "float32"), ("s", "float64")),
    (("s", "int32"), 2.5),
]


def _operand(spec, lib):
    if not isinstance(spec, tuple):
        return spec
    kind, dtype = spec
    data = [1, 2] if kind == "t" else 1
    return lib.tensor(data, dtype=getattr(lib, dtype))


@pytest.mark.parametrize("a,b", PROMOTIONS, ids=repr)
@pytest.mark.parametrize("op", ["add", "mul"])
def test_type_promotion_matches_torch(op, a, b):
    expected = getattr(_operand(a, torch), op)(_operand(b, torch)).dtype
    got = getattr(_operand(a, glassnet), op)(_operand(b, glassnet)).dtype
    assert dtype_name(got) == dtype_name(expected)
    if not isinstance(b, tuple):  # the reflected form: scalar op tensor
        assert dtype_name(getattr(_operand(a, glassnet), op)(b).dtype) == dtype_name(expected)


@pytest.mark.parametrize("a", [("t", "int64"), ("t", "int32"), ("t", "bool"), ("t", "float64")])
def test_true_division_promotes_like_torch(a):
    expected = _operand(a, torch) / _operand(a, torch)
    assert dtype_name((_operand(a, glassnet) / _operand(a, glassnet)).dtype) == dtype_name(
        expected.dtype
    )
    assert dtype_name((_operand(a, glassnet) / 2).dtype) == dtype_name(
        (_operand(a, torch) / 2).dtype
    )


# ---- properties ----------------------------------------------------------------------------
def test_shape_size_ndim_numel_dtype_device(device):
    x = glassnet.zeros(2, 3, 4, device=device)
    assert x.shape == (2, 3, 4) and isinstance(x.shape, tuple)
    assert repr(x.shape) == "glassnet.Size([2, 3, 4])"
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.ndim == 3 and x.dim() == 3 and x.numel() == 24 and x.shape.numel() == 24
    assert x.dtype == glassnet.float32 and len(x) == 2
    assert x.device == device and x.device.type == device
    assert repr(glassnet.zeros(1).device) == "device(type='cpu')"
    assert glassnet.device("cpu") == "cpu"


def test_grad_attributes_of_leaves_and_results():
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    c = glassnet.tensor([1.0, 2.0])
    assert x.requires_grad and x.is_leaf and x.grad is None and x.grad_fn is None
    assert not c.requires_grad and c.is_leaf
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn.name() == "MulBackward0"
    z = c * 2
    assert not z.requires_grad and z.is_leaf and z.grad_fn is None
    with glassnet.no_grad():
        w = x * 2
    assert not w.requires_grad and w.is_leaf


def test_requires_grad_():
    x = glassnet.zeros(2)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    with pytest.raises(AutogradError, match="floating point"):
        glassnet.zeros(2, dtype=glassnet.int64).requires_grad_()
    with pytest.raises(AutogradError, match="non-leaf"):
        (glassnet.ones(2, requires_grad=True) * 2).requires_grad_(False)


def test_numpy_shares_memory_and_refuses_grad_tensors():
    x = glassnet.tensor([1.0, 2.0])
    a = x.numpy()
    a[0] = 4.0
    assert x.tolist() == [4.0, 2.0] and isinstance(a, np.ndarray)
    with pytest.raises(AutogradError, match=r"detach\(\)\.numpy\(\)"):
        glassnet.tensor([1.0], requires_grad=True).numpy()


def test_item_and_tolist_give_python_types():
    assert glassnet.tensor(2.5).item() == 2.5 and type(glassnet.tensor(2.5).item()) is float
    assert type(glassnet.tensor([3]).item()) is int and type(glassnet.tensor(True).item()) is bool
    assert glassnet.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert glassnet.tensor(1.5).tolist() == torch.tensor(1.5).tolist()
    assert float(glassnet.tensor([2.0])) == 2.0 and int(glassnet.tensor(3)) == 3


def test_detach_shares_memory_clone_does_not():
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    d.data[0] = 5.0
    assert x.tolist() == [5.0, 2.0]
    c = x.clone()
    assert c.grad_fn is not None and c.requires_grad
    c.data[0] = 9.0
    assert x.tolist() == [5.0, 2.0]
    (c * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


CASTS = [
    ("float", "float32"),
    ("double", "float64"),
    ("long", "int64"),
    ("int", "int32"),
    ("bool", "bool"),
    ("half", "float16"),
]


@pytest.mark.parametrize("method,dtype", CASTS)
def test_cast_methods_and_to(method, dtype, device):
    data = [[0.0, 1.5], [-2.7, 3.0]]
    g, t = glassnet.tensor(data, device=device), torch.tensor(data)
    assert_same(getattr(g, method)(), getattr(t, method)())
    assert_same(g.to(getattr(glassnet, dtype)), t.to(getattr(torch, dtype)))
    assert g.to(g.dtype) is g  # no copy when nothing changes, as in PyTorch


def test_cpu_and_to_device():
    x = glassnet.tensor([1.0, 2.0])
    assert x.cpu() is x and x.to("cpu") is x
    assert x.to("cpu", glassnet.float64).dtype == glassnet.float64


def test_float_cast_is_differentiable_and_int_cast_is_not():
    x = glassnet.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 2).sum().backward()
    assert x.grad.dtype == glassnet.float32 and x.grad.tolist() == [2.0, 2.0]
    assert not x.long().requires_grad


# ---- repr ----------------------------------------------------------------------------------
REPRS = [
    [1.0, 2.0, 3.0],
    [1.5, 2.0],
    [[1.5, 2.0], [3.0, 4.25]],
    [[[1, 2], [3, 4]], [[5, 6], [7, 8]]],
    [1, -20, 300],
    [True, False],
    3.0,
    -2.5,
    7,
    [1e-5, 1000.0],
    [1e10, 1.0],
    [0.0, 0.0],
    [float("nan"), 1.0, float("inf")],
    [0.1234567, -12.5],
]


@pytest.mark.parametrize("data", REPRS, ids=repr)
def test_repr_matches_torch(data):
    assert repr(glassnet.tensor(data)) == repr(torch.tensor(data)).replace("torch.", "glassnet.")


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64),
        lambda lib: lib.tensor([1, 2], dtype=lib.int32),
        lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float16),
        lambda lib: lib.zeros(0),
        lambda lib: lib.zeros(2, 0),
        lambda lib: lib.zeros(0, dtype=lib.int64),
        lambda lib: lib.arange(30.0) * 0.37,
        lambda lib: lib.arange(2000.0).reshape(40, 50),
        lambda lib: lib.arange(2000).reshape(2, 10, 100),
        lambda lib: lib.tensor([1.0, 2.0], requires_grad=True),
        lambda lib: lib.tensor([1.0, 2.0], requires_grad=True) * 2,
        lambda lib: lib.tensor([1.0, 2.0], requires_grad=True) + 1,
    ],
)
def test_repr_matches_torch_for_dtypes_sizes_and_grad(make):
    expected = repr(make(torch)).replace("torch.", "glassnet.")
    assert repr(make(glassnet)) == expected
    assert str(make(glassnet)) == expected


# ---- randomness ----------------------------------------------------------------------------
def test_manual_seed_makes_draws_reproducible():
    def draws():
        return [
            glassnet.rand(3).tolist(),
            glassnet.randn(2, 2).tolist(),
            glassnet.randint(0, 100, (5,)).tolist(),
            glassnet.randperm(6).tolist(),
        ]

    glassnet.manual_seed(123)
    first = draws()
    glassnet.manual_seed(123)
    assert draws() == first
    glassnet.manual_seed(124)
    assert draws() != first
    assert glassnet.initial_seed() == 124


def test_rng_state_roundtrip_and_generators():
    glassnet.manual_seed(5)
    state = glassnet.get_rng_state()
    a = glassnet.randn(4).tolist()
    glassnet.set_rng_state(state)
    assert glassnet.randn(4).tolist() == a
    g1, g2 = glassnet.Generator(7), glassnet.Generator(7)
    assert glassnet.rand(3, generator=g1).tolist() == glassnet.rand(3, generator=g2).tolist()
