"""The messages of common mistakes: each names the op, what it got, and how to fix it."""

import pytest

import glassnet
from glassnet.errors import AutogradError, DeviceError, DTypeError, GlassnetError, ShapeError


def test_errors_are_builtin_exceptions_too():
    assert issubclass(ShapeError, ValueError) and issubclass(DTypeError, TypeError)
    assert issubclass(DeviceError, RuntimeError) and issubclass(AutogradError, RuntimeError)
    for cls in (ShapeError, DTypeError, DeviceError, AutogradError):
        assert issubclass(cls, GlassnetError)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_broadcast_mismatch_names_the_op_and_both_shapes(op):
    with pytest.raises(ShapeError) as e:
        getattr(glassnet, op)(glassnet.ones(2, 3), glassnet.ones(4))
    message = str(e.value)
    assert message.startswith(op + ":") and "(2, 3)" in message and "(4,)" in message
    assert "broadcast" in message


def test_broadcast_mismatch_from_an_operator():
    with pytest.raises(ShapeError, match=r"add: shapes \(2, 3\) and \(3, 2\)"):
        glassnet.ones(2, 3) + glassnet.ones(3, 2)


def test_item_on_many_elements():
    with pytest.raises(ShapeError, match=r"item\(\): a Tensor with 6 elements.*\(2, 3\)"):
        glassnet.ones(2, 3).item()


def test_backward_twice():
    x = glassnet.ones(2, requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(AutogradError, match="second time.*retain_graph=True"):
        loss.backward()


def test_bool_of_many_elements():
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(glassnet.ones(3))


def test_numpy_of_a_tensor_requiring_grad():
    with pytest.raises(AutogradError, match=r"detach\(\)\.numpy\(\)"):
        glassnet.ones(2, requires_grad=True).numpy()


def test_requires_grad_on_integers():
    with pytest.raises(AutogradError, match=r"floating point dtype.*int64.*\.float\(\)"):
        glassnet.tensor([1, 2], requires_grad=True)


def test_inplace_errors():
    with pytest.raises(AutogradError, match="leaf Variable that requires grad.*no_grad"):
        glassnet.ones(2, requires_grad=True).mul_(2)
    with pytest.raises(ShapeError, match=r"shape \(2, 3\) cannot be written.*shape \(3,\)"):
        glassnet.ones(3).add_(glassnet.ones(2, 3))
    with pytest.raises(DTypeError, match="float32 can't be cast.*int64"):
        glassnet.tensor([1, 2]).add_(1.5)


def test_unknown_device_and_dtype():
    with pytest.raises(DeviceError, match="unknown device 'gpu'.*'cpu' or 'cuda'"):
        glassnet.ones(2, device="gpu")
    with pytest.raises(TypeError, match="unknown dtype 'float8'"):
        glassnet.ones(2, dtype="float8")


@pytest.mark.parametrize(
    "a,b,shown",
    [
        ((2, 3), (4, 5), ["(2x3)", "(4x5)", "3", "4"]),
        ((3,), (4,), ["(3)", "(4)"]),
        ((2, 3, 4), (5, 6), ["(2x3x4)", "(5x6)", "4", "5"]),
    ],
)
def test_matmul_inner_size_mismatch(a, b, shown):
    with pytest.raises(ShapeError) as e:
        glassnet.ones(*a) @ glassnet.ones(*b)
    message = str(e.value)
    assert message.startswith("matmul") and "inner sizes" in message
    for text in shown:
        assert text in message
