"""no_grad, enable_grad, set_grad_enabled and inference_mode as context managers and as
decorators (with and without parentheses, on functions, methods and generators), each checked
against PyTorch doing the same."""

import pytest
import torch

import glassnet


def state(lib):
    """Grad mode, inference mode, and whether an op on a leaf that requires grad records."""
    x = lib.ones(1, requires_grad=True)
    return lib.is_grad_enabled(), lib.is_inference_mode_enabled(), (x * 2).requires_grad


def both(scenario):
    want, got = scenario(torch), scenario(glassnet)
    assert got == want
    return got


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.no_grad(),
        lambda lib: lib.enable_grad(),
        lambda lib: lib.set_grad_enabled(False),
        lambda lib: lib.set_grad_enabled(True),
        lambda lib: lib.inference_mode(),
        lambda lib: lib.inference_mode(True),
        lambda lib: lib.inference_mode(False),
        lambda lib: lib.inference_mode(mode=False),
    ],
)
@pytest.mark.parametrize("outer", ["grad", "no_grad"])
def test_context_managers(make, outer):
    def scenario(lib):
        with lib.no_grad() if outer == "no_grad" else lib.enable_grad():
            before = state(lib)
            with make(lib) as entered:
                inside = state(lib)
            return before, inside, state(lib), entered

    got = both(scenario)
    assert got[0] == got[2]  # restored on exit


@pytest.mark.parametrize(
    "decorate",
    [
        lambda lib: lib.no_grad(),
        lambda lib: lib.no_grad,  # without parentheses
        lambda lib: lib.enable_grad(),
        lambda lib: lib.enable_grad,
        lambda lib: lib.set_grad_enabled(False),
        lambda lib: lib.inference_mode(),
        lambda lib: lib.inference_mode,
        lambda lib: lib.inference_mode(False),
    ],
)
def test_decorators(decorate):
    def scenario(lib):
        deco = decorate(lib)

        @deco
        def f(a, b=1):
            """doc"""
            return state(lib), a + b

        class Model:
            @deco
            def predict(self):
                return state(lib)

        outside = []
        with lib.no_grad():
            outside.append(f(1, b=2))
        outside.append(f(0))
        return outside, Model().predict(), state(lib), f.__name__, f.__doc__

    both(scenario)


@pytest.mark.parametrize(
    "decorate",
    [lambda lib: lib.no_grad(), lambda lib: lib.no_grad, lambda lib: lib.inference_mode()],
)
def test_decorated_generator_runs_each_step_in_the_mode(decorate):
    def scenario(lib):
        @decorate(lib)
        def batches(n):
            for i in range(n):
                got = yield (i, state(lib))
                if got == "stop":
                    return "stopped"

        seen = []
        gen = batches(3)
        seen.append(next(gen))
        seen.append(state(lib))  # between steps: the caller's mode
        seen.append(gen.send(None))
        try:
            gen.send("stop")
        except StopIteration as stop:
            seen.append(stop.value)
        seen.append(list(batches(2)))
        return seen

    both(scenario)


def test_set_grad_enabled_applies_at_once_as_a_plain_call():
    def scenario(lib):
        try:
            lib.set_grad_enabled(False)
            off = state(lib)
        finally:
            lib.set_grad_enabled(True)
        return off, state(lib)

    both(scenario)


def test_contexts_restore_the_mode_after_an_exception():
    def scenario(lib):
        for make in (lib.no_grad, lib.inference_mode, lambda: lib.set_grad_enabled(False)):
            try:
                with make():
                    raise KeyError("x")
            except KeyError:
                pass
        return state(lib)

    assert both(scenario) == (True, False, True)


def test_decorator_recursion_restores_each_level():
    def scenario(lib):
        @lib.no_grad()
        def depth(n):
            return [state(lib)] + (depth(n - 1) if n else [])

        return depth(2), state(lib)

    both(scenario)
