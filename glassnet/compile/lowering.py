"""Lowering passes: replace a run of generic plan steps by one leaner step doing the same math.

A recorded plan replays every effect as it was called (``optimizer.step()`` walks its groups
and parameters in Python, ``zero_grad()`` walks them again, and each gradient is first wrapped
in a ``.grad`` Tensor only to be read back and dropped). A pass here spots such a run and puts
one step in its place that makes the same array calls in the same order, so the numbers stay
bit-identical to eager; a guard checked on every replay falls back to the original steps when
an assumption of the pass no longer holds (a hyperparameter changed, a ``.grad`` was set).

The pass today: plain SGD (no momentum, weight decay or maximize) becomes ``param -= lr * grad``
per parameter, read straight from the gradient slots, when the step is preceded by its
``zero_grad()`` in the plan (the .grad Tensors stay) or followed by it (they are not made).

>>> from glassnet.compile.lowering import lower_optimizer
>>> lower_optimizer([], [])
[]
"""

from __future__ import annotations

from glassnet.compile.plan import Step
from glassnet.optim.optimizer import Optimizer
from glassnet.optim.sgd import SGD

_OPT_STEP = Optimizer.__dict__["step"]
_OPT_ZERO = Optimizer.__dict__["zero_grad"]


def lower(steps, values, output=("const", None)):
    """``(steps, values, template)``: the optimizer steps lowered (below), then the op steps
    (``array_calls``); ``values`` are the recorded arrays, ``output`` the plan's output tree."""
    from glassnet.compile.array_calls import lower_calls

    return lower_calls(lower_optimizer(steps, values), values, output)


def lower_optimizer(steps, values):
    """The plan's steps with every lowerable optimizer run replaced."""
    for i, step in enumerate(steps):
        opt = _call_of(step, _OPT_STEP)
        if opt is None or not _plain_sgd(opt):
            continue
        if i + 1 < len(steps) and _call_of(steps[i + 1], _OPT_ZERO) is opt:
            fused = _step_then_zero(steps, i, opt, values)
            if fused is not None:
                return lower_optimizer(fused, values)
        fused = _zero_then_step(steps, i, opt, values)
        if fused is not None:
            return lower_optimizer(fused, values)
    return steps


def _plain_sgd(opt):
    cls = type(opt)
    return cls.update is SGD.update and cls.init_state is SGD.init_state


def _call_of(step, func):
    """The optimizer of a recorded ``opt.func()`` call step without arguments, else None."""
    if step.kind != "call" or step.info is None:
        return None
    method, args, kwargs = step.info
    if getattr(method, "__func__", None) is not func or args:
        return None
    if kwargs and kwargs != {"set_to_none": True}:
        return None
    return method.__self__


def _grad_steps(steps, opt):
    """{id(param): its one grad step} among ``steps`` (after their last effect call), or None
    when a parameter's .grad is accumulated twice or an effect call comes after a gradient."""
    ids = {id(p) for group in opt.param_groups for p in group["params"]}
    grads = {}
    for step in steps:
        if step.kind == "call" and grads:
            return None  # an effect between a gradient and the step may read it (clipping)
        if step.kind == "grad":
            slot, where = step.info
            if where[0] != "tensor" or id(where[1]) not in ids:
                continue
            if id(where[1]) in grads:
                return None  # two accumulations into one .grad: leave the plan as it is
            grads[id(where[1])] = step
    return grads or None


def _update_plan(opt, grads):
    order = [p for group in opt.param_groups for p in group["params"] if id(p) in grads]
    if any(opt.state.get(p) is None for p in order):
        return None  # step() makes the state on its first visit: not recorded yet
    return order, [grads[id(p)].info[0] for p in order]


def _text(order, slots, values):
    names = ", ".join(f"%{s}{_shape(values[s])}" for s in slots)
    return f"SGD update in place: param -= lr * grad for {len(order)} parameters ({names})"


def _step_then_zero(steps, i, opt, values):
    """``...grads...; opt.step(); opt.zero_grad()``: the .grad Tensors are never seen, so the
    update reads the gradient slots and no .grad is made (zero_grad would drop it)."""
    grads = _grad_steps(steps[:i], opt)
    made = _update_plan(opt, grads) if grads else None
    if made is None:
        return None
    order, slots = made
    lowered = set(grads.values())
    fallback = [s.run for s in steps[:i] if s in lowered] + [steps[i].run, steps[i + 1].run]
    params = [p for group in opt.param_groups for p in group["params"]]
    run = sgd_step(opt, order, slots, params, fallback)
    kept = [s for s in steps[:i] if s not in lowered]
    return kept + [Step(run, "optim", _text(order, slots, values), reads=slots)] + steps[i + 2 :]


def _zero_then_step(steps, i, opt, values):
    """``opt.zero_grad(); ...grads...; opt.step()``: every .grad the step reads was just made
    from a gradient slot, so the update reads the slots; the .grad Tensors stay (the caller may
    read them after the call)."""
    for j in range(i - 1, -1, -1):
        if steps[j].kind == "call":
            if _call_of(steps[j], _OPT_ZERO) is not opt:
                return None
            break
    else:
        return None
    grads = _grad_steps(steps[j + 1 : i], opt)
    made = _update_plan(opt, grads) if grads else None
    if made is None:
        return None
    order, slots = made
    run = sgd_step(opt, order, slots, None, [steps[i].run])
    return (
        steps[:i] + [Step(run, "optim", _text(order, slots, values), reads=slots)] + steps[i + 1 :]
    )


def _shape(a):
    return tuple(a.shape)


def sgd_step(opt, order, slots, params, fallback):
    """``param -= lr * grad`` for each parameter, as ``SGD.update`` computes it. The guard:
    every hyperparameter that would change the formula is off, and (``params`` given: the
    .grad steps were lowered away) no parameter has a ``.grad`` the step would have to add to;
    otherwise the ``fallback`` runs, the recorded steps as they were."""
    groups = opt.param_groups
    # the group of each parameter, read on every replay (a scheduler changes lr between calls)
    group_of = []
    for p in order:
        for group in groups:
            if any(q is p for q in group["params"]):
                group_of.append(group)
                break
    plan = tuple(zip(order, slots, group_of))

    def run(env, inputs):
        for group in groups:
            if group["momentum"] or group["weight_decay"] or group.get("maximize", False):
                break
        else:
            for p in params or ():
                if p.grad is not None:
                    break
            else:
                for p, slot, group in plan:
                    data = p._data
                    data -= group["lr"] * env[slot]  # SGD.update's line, on the same arrays
                    p._version[0] += 1
                return
        for f in fallback:  # an assumption broke: run the recorded steps as they were
            f(env, inputs)

    return run
