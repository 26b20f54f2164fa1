"""Settings are checked where they enter, as PyTorch 2.13 checks them: for every case of the
tables below, torch raises <=> glassnet raises, with the same exception class. Where glassnet
deliberately refuses more (or, in two cases, less), the case is named by ``difference`` with the
reason; the test then asserts that the two libraries really do differ there, so the list of
differences stays exact as either library changes. The same list is in docs/optim.md.

Deliberate differences:
- NaN and infinite values. PyTorch's checks are comparisons (``not 0.0 <= lr``), which refuse
  NaN in most optimizers but let NaN through SGD (``lr < 0.0`` is False for NaN) and +inf
  through all; a non-finite lr, eps, weight_decay or momentum can only turn the weights into
  NaN, so glassnet refuses it everywhere.
- bool values for numbers (``lr=True``): PyTorch reads them as 0/1; glassnet calls them a
  TypeError, as they are a mix-up of arguments.
- Settings PyTorch never checks: SGD's ``dampening``; LBFGS's ``max_iter``, ``max_eval``,
  ``history_size``, tolerances and ``line_search_fn`` (PyTorch fails inside ``step`` or loops
  oddly); the values a parameter group sets for itself (``{"params": ..., "lr": -1}``).
- A Tensor of several values for a setting other than lr: PyTorch's RuntimeError comes from
  ``bool()`` of that Tensor by accident; glassnet names the setting in a ValueError.
- betas of the wrong length: PyTorch raises IndexError for one value and accepts three;
  glassnet raises ValueError for both.
- Accepted where PyTorch refuses: an int in Adam's betas (``betas=(0, 0.999)``), which PyTorch's
  Adam and AdamW refuse (their Adamax and NAdam accept it).
"""

import math
import warnings

import numpy as np
import pytest
import torch

import glassnet
from glassnet import nn, optim
from glassnet.optim import lr_scheduler as gls

NAN, INF = math.nan, math.inf


class _Tensor:
    """A value to be made a Tensor of the library under test (``lr=torch.tensor(0.1)``)."""

    def __init__(self, *values):
        self.values = values

    def make(self, lib):
        values = self.values[0] if len(self.values) == 1 else list(self.values)
        return lib.tensor(values)

    def __repr__(self):
        return f"Tensor{self.values}"


def _materialise(value, lib):
    if isinstance(value, _Tensor):
        return value.make(lib)
    if isinstance(value, tuple):
        return tuple(_materialise(v, lib) for v in value)
    return value


def _outcome(make):
    """The exception class ``make()`` raises, or None; warnings are errors only if asked."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            make()
    except Exception as error:  # noqa: BLE001 - the class is what is compared
        return type(error), str(error)
    return None, ""


# ---- optimizers: every numeric setting against a row of values ---------------------------------
NUMERIC = {
    "SGD": ["lr", "momentum", "dampening", "weight_decay"],
    "Adam": ["lr", "eps", "weight_decay"],
    "AdamW": ["lr", "eps", "weight_decay"],
    "Adagrad": ["lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"],
    "RMSprop": ["lr", "alpha", "eps", "weight_decay", "momentum"],
    "Adadelta": ["lr", "rho", "eps", "weight_decay"],
    "Adamax": ["lr", "eps", "weight_decay"],
    "NAdam": ["lr", "eps", "weight_decay", "momentum_decay"],
    "LBFGS": ["lr", "max_iter", "max_eval", "tolerance_grad", "tolerance_change", "history_size"],
}
VALUES = [
    -1.0,
    -1,
    -1e-12,
    NAN,
    INF,
    -INF,
    "0.1",
    None,
    True,
    0,
    0.0,
    2,
    2.0,
    np.float32(0.5),
    _Tensor(0.5),
    _Tensor(0.1, 0.2),
]
BETAS = [
    (0.9, 0.999),
    [0.9, 0.999],
    (0.0, 0.0),
    (1.0, 0.999),
    (0.9, 1.0),
    (-0.1, 0.999),
    (NAN, 0.999),
    (0.9, NAN),
    (INF, 0.9),
    (0.9,),
    (0.9, 0.99, 0.5),
    (0, 0.999),
    0.9,
    "ab",
    (_Tensor(0.9), _Tensor(0.99)),
]
INTEGER_SETTINGS = {"max_iter", "max_eval", "history_size"}  # LBFGS's counts


def _is_number(value):
    return isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)


def _optimizer_difference(name, kwargs):
    """Where a rule of glassnet's differs from PyTorch's: the exception class glassnet raises for
    this value (type(None): none), with the reason; None where glassnet does as PyTorch does."""
    ((arg, value),) = kwargs.items()
    if arg == "betas":
        if isinstance(value, (tuple, list)) and len(value) != 2:
            return ValueError, "betas of the wrong length"
        if name in ("Adam", "AdamW") and value == (0, 0.999):
            return None.__class__, "int betas accepted"
        return None
    if isinstance(value, bool):
        return TypeError, "a bool is not a number here"
    if name == "LBFGS" and arg in INTEGER_SETTINGS and isinstance(value, _Tensor):
        return TypeError, "PyTorch never checks it; a count is an int, not a Tensor"
    if isinstance(value, float) and not math.isfinite(value):
        return ValueError, "non-finite values refused"
    if isinstance(value, _Tensor) and len(value.values) > 1:
        return ValueError, "several values for one setting"
    unchecked = (name == "SGD" and arg == "dampening") or (name == "LBFGS" and arg != "lr")
    if unchecked:
        if not _is_number(value) and not isinstance(value, _Tensor):
            return TypeError, "PyTorch never checks it"
        number = float(value.values[0]) if isinstance(value, _Tensor) else float(value)
        if arg in INTEGER_SETTINGS:
            integral = isinstance(value, (int, np.integer))
            return None if integral and number >= 1 else (ValueError, "a count must be >= 1")
        if name == "LBFGS" and number < 0:
            return ValueError, "a tolerance must be >= 0"
    return None


def _optimizer_cases():
    cases = []
    for name, args in NUMERIC.items():
        for arg in args:
            for value in VALUES:
                if arg == "max_eval" and value is None:
                    continue  # None is its default (computed from max_iter)
                cases.append((name, {arg: value}))
    for name in ("Adam", "AdamW", "Adamax", "NAdam"):
        cases += [(name, {"betas": b}) for b in BETAS]
    return cases


def _case_id(case):
    """A stable test id (no object addresses, so that pytest-xdist workers agree)."""

    def show(v):
        if callable(v):
            return "fn"
        if isinstance(v, (list, tuple)):
            return "[" + ",".join(show(x) for x in v) + "]"
        return repr(v)

    name, kwargs = case
    return f"{name}-" + "-".join(f"{k}={show(v)}" for k, v in kwargs.items())


def _build_optimizer(lib, name, kwargs, params=None):
    params = params if params is not None else _params(lib, 1)
    make = getattr(torch.optim if lib is torch else optim, name)
    return make(params, **{k: _materialise(v, lib) for k, v in kwargs.items()})


def _params(lib, n):
    if lib is torch:
        return [torch.zeros(2, requires_grad=True) for _ in range(n)]
    return [nn.Parameter(glassnet.zeros(2)) for _ in range(n)]


def _compare(torch_make, glassnet_make, difference, strict=True):
    """Same outcome in both; or, for a ``difference``, glassnet's outcome is the one named and
    (if ``strict``) PyTorch's is another one."""
    theirs, _ = _outcome(torch_make)
    mine, message = _outcome(glassnet_make)
    if difference is None:
        assert mine is theirs, f"torch: {theirs}, glassnet: {mine} ({message})"
    else:
        expected, reason = difference
        expected = None if expected is type(None) else expected
        assert mine is expected, f"glassnet: {mine} ({message}); expected {expected}: {reason}"
        if strict:
            assert theirs is not expected, f"listed as a difference ({reason}) but torch agrees"
    return mine, message


@pytest.mark.parametrize("case", _optimizer_cases(), ids=_case_id)
def test_optimizer_settings_checked_as_pytorch(case):
    name, kwargs = case
    mine, message = _compare(
        lambda: _build_optimizer(torch, name, kwargs),
        lambda: _build_optimizer(glassnet, name, kwargs),
        _optimizer_difference(name, kwargs),
        strict=False,  # the rules above also cover values PyTorch refuses too (NaN in Adam)
    )
    if mine is not None:  # the message names the optimizer, the setting and what is allowed
        ((arg, value),) = kwargs.items()
        assert message.startswith(name) and arg in message and "expected" in message, message
        if not isinstance(value, (_Tensor, tuple)):
            assert repr(value) in message, message


NESTEROV = [
    (dict(lr=0.1, nesterov=True), None),
    (dict(lr=0.1, nesterov=True, momentum=0.9), None),
    (dict(lr=0.1, nesterov=True, momentum=0.9, dampening=0.1), None),
    (dict(lr=0.1, momentum=2.0), None),  # PyTorch allows momentum above 1, so does glassnet
]


@pytest.mark.parametrize("kwargs,difference", NESTEROV)
def test_nesterov_needs_momentum_and_no_dampening(kwargs, difference):
    mine, message = _compare(
        lambda: torch.optim.SGD(_params(torch, 1), **kwargs),
        lambda: optim.SGD(_params(glassnet, 1), **kwargs),
        difference,
    )
    if mine is not None:
        assert "Nesterov" in message and "momentum=" in message


def test_a_groups_own_settings_are_checked_too():
    """A deliberate difference: PyTorch checks only the keyword defaults."""
    for group, what in [
        ({"nesterov": True}, "Nesterov"),
        ({"weight_decay": -0.1}, "weight_decay=-0.1"),
        ({"momentum": INF}, "momentum=inf"),
    ]:
        mine, message = _compare(
            lambda group=group: torch.optim.SGD([{"params": _params(torch, 1), **group}], lr=0.1),
            lambda group=group: optim.SGD([{"params": _params(glassnet, 1), **group}], lr=0.1),
            (ValueError, "a group's own values"),
        )
        assert "parameter group 0" in message and what in message, message


# ---- the params argument -----------------------------------------------------------------------
def _param_cases():
    def same(lib):
        p = _params(lib, 1)[0]
        return [{"params": [p]}, {"params": [p]}]

    def named(lib):
        return [("w", _params(lib, 1)[0])]

    def mixed_named(lib):
        p, q = _params(lib, 2)
        return [("w", p), q]

    def groups_named_and_not(lib):
        p, q = _params(lib, 2)
        return [{"params": [("w", p)]}, {"params": [q]}]

    def non_leaf(lib):
        return [_params(lib, 1)[0] * 2]

    def frozen(lib):
        return [lib.zeros(2)]

    return [
        ("a single Tensor", lambda lib: _params(lib, 1)[0], None),
        ("an empty list", lambda lib: [], None),
        ("an empty generator", lambda lib: iter([]), None),
        ("one dict", lambda lib: {"params": _params(lib, 1)}, None),
        ("a number", lambda lib: [1.0], None),
        ("a string", lambda lib: ["w"], None),
        ("an array", lambda lib: [np.zeros(2)], None),
        ("None", lambda lib: [None], None),
        ("the same parameter in two groups", same, None),
        ("a non-leaf tensor", non_leaf, None),
        ("a tensor that needs no grad", frozen, None),
        ("a set in a group", lambda lib: [{"params": set(_params(lib, 1))}], None),
        ("a group that is not a dict", lambda lib: [{"params": _params(lib, 1)}, 3], None),
        ("a group without params", lambda lib: [{"lr": 0.1}], None),
        ("named parameters", named, None),
        ("named and unnamed parameters", mixed_named, None),
        ("named and unnamed groups", groups_named_and_not, None),
        ("a group with unknown keys", lambda lib: [{"params": _params(lib, 1), "tag": 1}], None),
        (
            "a group's own negative lr",
            lambda lib: [{"params": _params(lib, 1), "lr": -1.0}],
            (ValueError, "PyTorch checks only the defaults, not a group's own values"),
        ),
        (
            "a group's own NaN lr",
            lambda lib: [{"params": _params(lib, 1), "lr": NAN}],
            (ValueError, "PyTorch checks only the defaults, not a group's own values"),
        ),
    ]


@pytest.mark.parametrize("name", ["SGD", "Adam", "LBFGS"])
@pytest.mark.parametrize("case", _param_cases(), ids=lambda c: c[0])
def test_params_checked_as_pytorch(case, name):
    what, make_params, difference = case
    mine, message = _compare(
        lambda: _build_optimizer(torch, name, {"lr": 0.1}, make_params(torch)),
        lambda: _build_optimizer(glassnet, name, {"lr": 0.1}, make_params(glassnet)),
        difference,
    )
    if mine is not None:
        assert name in message, message


def test_a_parameter_twice_in_one_group_warns_as_in_pytorch():
    w, tw = nn.Parameter(glassnet.zeros(2)), torch.zeros(2, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate"):
        torch.optim.SGD([tw, tw], lr=0.1)
    with pytest.warns(UserWarning, match="more than once"):
        optim.SGD([w, w], lr=0.1)


def test_lbfgs_has_one_group_and_known_line_searches():
    for ls in ("strong_wolfe", None, "wolfe", "backtracking", 1):
        _compare(
            lambda ls=ls: torch.optim.LBFGS(_params(torch, 1), line_search_fn=ls),
            lambda ls=ls: optim.LBFGS(_params(glassnet, 1), line_search_fn=ls),
            None if ls in ("strong_wolfe", None) else (ValueError, "PyTorch fails in step()"),
        )
    _compare(
        lambda: torch.optim.LBFGS([{"params": _params(torch, 1)}, {"params": _params(torch, 1)}]),
        lambda: optim.LBFGS([{"params": _params(glassnet, 1)}, {"params": _params(glassnet, 1)}]),
        None,
    )


def test_tensor_lr_is_read_as_its_number():
    w = nn.Parameter(glassnet.tensor([1.0]))
    opt = optim.SGD([w], lr=glassnet.tensor(0.5))
    assert opt.param_groups[0]["lr"] == 0.5 and isinstance(opt.param_groups[0]["lr"], float)
    w.grad = glassnet.tensor([1.0])
    opt.step()
    assert w.item() == 0.5


# ---- schedulers --------------------------------------------------------------------------------
_MORE = "PyTorch accepts it; the schedule then divides by zero, stalls or produces a bad lr later"
SCHEDULER_CASES = [
    # (scheduler, kwargs, difference)
    ("StepLR", dict(step_size=3), None),
    ("StepLR", dict(step_size=0), (ValueError, _MORE)),
    ("StepLR", dict(step_size=-1), (ValueError, _MORE)),
    ("StepLR", dict(step_size=2.5), (ValueError, _MORE)),
    ("StepLR", dict(step_size=NAN), (ValueError, _MORE)),
    ("StepLR", dict(step_size="3"), (TypeError, _MORE)),
    ("StepLR", dict(step_size=2, gamma=0.0), (ValueError, _MORE)),
    ("StepLR", dict(step_size=2, gamma=-0.5), (ValueError, _MORE)),
    ("StepLR", dict(step_size=2, gamma=NAN), (ValueError, _MORE)),
    ("StepLR", dict(step_size=2, gamma=INF), (ValueError, _MORE)),
    ("StepLR", dict(step_size=2, gamma=1.5), None),  # a rising schedule is allowed
    ("StepLR", dict(step_size=2, last_epoch=3), None),  # resuming without initial_lr: KeyError
    ("MultiStepLR", dict(milestones=[3, 1]), None),  # order does not matter, as in PyTorch
    ("MultiStepLR", dict(milestones=[2, 2]), None),  # a repeated milestone applies gamma twice
    ("MultiStepLR", dict(milestones=[2.5]), (ValueError, _MORE)),
    ("MultiStepLR", dict(milestones=[-1]), (ValueError, _MORE)),
    ("MultiStepLR", dict(milestones=3), None),
    ("MultiStepLR", dict(milestones=[2], gamma=NAN), (ValueError, _MORE)),
    ("ExponentialLR", dict(gamma=0.9), None),
    ("ExponentialLR", dict(gamma=0), (ValueError, _MORE)),
    ("ExponentialLR", dict(gamma=-1), (ValueError, _MORE)),
    ("ExponentialLR", dict(gamma=NAN), (ValueError, _MORE)),
    ("CosineAnnealingLR", dict(T_max=10), None),
    ("CosineAnnealingLR", dict(T_max=2.5), None),
    ("CosineAnnealingLR", dict(T_max=0), (ValueError, _MORE)),
    ("CosineAnnealingLR", dict(T_max=-1), (ValueError, _MORE)),
    ("CosineAnnealingLR", dict(T_max=NAN), (ValueError, _MORE)),
    ("CosineAnnealingLR", dict(T_max=5, eta_min=-0.1), (ValueError, _MORE)),
    ("CosineAnnealingLR", dict(T_max=5, eta_min=NAN), (ValueError, _MORE)),
    ("CosineAnnealingWarmRestarts", dict(T_0=0), None),
    ("CosineAnnealingWarmRestarts", dict(T_0=2.0), None),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=0), None),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=1.5), None),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, eta_min="a"), None),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, eta_min=-1.0), (ValueError, _MORE)),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, eta_min=NAN), (ValueError, _MORE)),
    ("LinearLR", dict(start_factor=0), None),
    ("LinearLR", dict(start_factor=1.5), None),
    ("LinearLR", dict(end_factor=-0.1), None),
    ("LinearLR", dict(end_factor=1.5), None),
    ("LinearLR", dict(start_factor=NAN), (ValueError, _MORE)),
    ("LinearLR", dict(end_factor=NAN), (ValueError, _MORE)),
    ("LinearLR", dict(total_iters=0), (ValueError, _MORE)),
    ("LinearLR", dict(total_iters=-1), (ValueError, _MORE)),
    ("LambdaLR", dict(lr_lambda=3), None),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1.0, lambda e: 1.0]), None),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=10), None),
    ("OneCycleLR", dict(max_lr=1.0), None),
    ("OneCycleLR", dict(max_lr=1.0, epochs=2), None),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=0), None),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=2.5), None),
    ("OneCycleLR", dict(max_lr=1.0, epochs=0, steps_per_epoch=2), None),
    ("OneCycleLR", dict(max_lr=1.0, epochs=2, steps_per_epoch=-1), None),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=10, pct_start=1.5), None),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=10, pct_start=-0.1), None),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=10, pct_start=NAN), (ValueError, _MORE)),
    (
        "OneCycleLR",
        dict(max_lr=1.0, total_steps=10, pct_start=1),
        (type(None), "an int pct_start is accepted (PyTorch asks for a float)"),
    ),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=10, anneal_strategy="foo"), None),
    ("OneCycleLR", dict(max_lr=-1.0, total_steps=10), (ValueError, _MORE)),
    ("OneCycleLR", dict(max_lr=NAN, total_steps=10), (ValueError, _MORE)),
    ("OneCycleLR", dict(max_lr=[1.0, 2.0], total_steps=10), None),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=10, div_factor=0), (ValueError, "not 1/0")),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=10, final_div_factor=0), (ValueError, "not 1/0")),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=10, div_factor=-1), (ValueError, _MORE)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=10, base_momentum=[0.8, 0.8]), None),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=10, base_momentum=NAN), (ValueError, _MORE)),
    ("ReduceLROnPlateau", dict(), None),
    ("ReduceLROnPlateau", dict(factor=1.0), None),
    ("ReduceLROnPlateau", dict(factor=1.5), None),
    ("ReduceLROnPlateau", dict(factor=0.0), (ValueError, _MORE)),
    ("ReduceLROnPlateau", dict(factor=-0.5), (ValueError, _MORE)),
    ("ReduceLROnPlateau", dict(factor=NAN), (ValueError, _MORE)),
    ("ReduceLROnPlateau", dict(mode="mn"), None),
    ("ReduceLROnPlateau", dict(threshold_mode="relative"), None),
    ("ReduceLROnPlateau", dict(patience=-1), (ValueError, _MORE)),
    ("ReduceLROnPlateau", dict(patience=1.5), (ValueError, _MORE)),
    ("ReduceLROnPlateau", dict(cooldown=-1), (ValueError, _MORE)),
    ("ReduceLROnPlateau", dict(min_lr=-1.0), (ValueError, _MORE)),
    ("ReduceLROnPlateau", dict(min_lr=NAN), (ValueError, _MORE)),
    ("ReduceLROnPlateau", dict(min_lr=[0.1, 0.2]), None),
    ("ReduceLROnPlateau", dict(threshold=-1.0), (ValueError, _MORE)),
    ("ReduceLROnPlateau", dict(threshold=NAN), (ValueError, _MORE)),
    ("ReduceLROnPlateau", dict(eps=-1.0), (ValueError, _MORE)),
]


def _sgd(lib, groups=1):
    params = _params(lib, groups)
    make = torch.optim.SGD if lib is torch else optim.SGD
    return make([{"params": [p]} for p in params], lr=1.0, momentum=0.9)


@pytest.mark.parametrize(
    "name,kwargs,difference", SCHEDULER_CASES, ids=[_case_id(c[:2]) for c in SCHEDULER_CASES]
)
def test_scheduler_settings_checked_as_pytorch(name, kwargs, difference):
    mine, message = _compare(
        lambda: getattr(torch.optim.lr_scheduler, name)(_sgd(torch), **kwargs),
        lambda: getattr(gls, name)(_sgd(glassnet), **kwargs),
        difference,
    )
    if mine is not None and mine is not KeyError:
        assert name in message, message


def test_schedulers_need_an_optimizer_and_one_without_momentum_cannot_cycle_it():
    for name, kwargs in [("StepLR", dict(step_size=1)), ("ReduceLROnPlateau", {})]:
        _compare(
            lambda: getattr(torch.optim.lr_scheduler, name)("opt", **kwargs),
            lambda: getattr(gls, name)("opt", **kwargs),
            None,
        )
    _compare(
        lambda: torch.optim.lr_scheduler.OneCycleLR(
            torch.optim.Adagrad(_params(torch, 1)), max_lr=1.0, total_steps=5
        ),
        lambda: gls.OneCycleLR(optim.Adagrad(_params(glassnet, 1)), max_lr=1.0, total_steps=5),
        None,
    )


def _sequences(lib, m):
    opt = _sgd(lib)
    other = _sgd(lib)
    step = lambda o=opt: m.StepLR(o, 2)  # noqa: E731
    return {
        "two schedulers, one milestone": (opt, [step(), step()], [2], None),
        "milestones do not match": (opt, [step(), step()], [5, 2], None),
        "no scheduler": (opt, [], [], None),
        "one scheduler": (opt, [step()], [], None),
        "a plateau scheduler": (opt, [step(), m.ReduceLROnPlateau(opt)], [2], None),
        "another optimizer": (opt, [step(), step(other)], [2], None),
        "not a scheduler": (opt, [step(), 3], [2], None),
        "decreasing milestones": (
            opt,
            [step(), step(), step()],
            [5, 2],
            (ValueError, "PyTorch accepts them and switches schedulers at the wrong epochs"),
        ),
        "a milestone at 0": (
            opt,
            [step(), step()],
            [0],
            (ValueError, "PyTorch accepts it; the first scheduler never runs"),
        ),
    }


@pytest.mark.parametrize("what", list(_sequences(torch, torch.optim.lr_scheduler)))
def test_sequential_lr_checked_as_pytorch(what):
    def make(lib, m):
        opt, schedulers, milestones, _ = _sequences(lib, m)[what]
        return m.SequentialLR(opt, schedulers, milestones)

    difference = _sequences(torch, torch.optim.lr_scheduler)[what][3]
    _compare(lambda: make(torch, torch.optim.lr_scheduler), lambda: make(glassnet, gls), difference)
