"""Values that stopped being finite: where the first NaN or inf appeared, and why."""

from __future__ import annotations

from glassnet.doctor.finding import Finding


def _nan(rec, model, found):
    n = rec.nan
    if n is None and rec.nan_loss_step is None:
        return None
    if n is None:
        step, epoch = rec.nan_loss_step
        return Finding(
            "nan",
            f"the training loss became non-finite at step {step} (epoch {epoch + 1}); the "
            "layer that produced it was not on a sampled step",
            "run glassnet.doctor.check(...) on the same set-up (it watches every step), or "
            "guard with Trainer(grad_clip=1.0)",
            step=step,
            epoch=epoch,
        )
    if n["op"] == "input":
        return Finding(
            "nan",
            f"a training batch already holds NaN or infinity (step {n['step']})",
            "clean the data first: glassnet.data.SimpleImputer().fit(x_train).transform(x)",
            step=n["step"],
            epoch=n["epoch"],
        )
    lo_hi = n.get("input_range")
    rng = f" from inputs in [{lo_hi[0]:.3g}, {lo_hi[1]:.3g}]" if lo_hi else ""
    where = "the loss function" if n["layer"] == "the loss" else f"layer {n['layer']!r}"
    if n["inputs_finite"]:
        seen = f"op {n['op']} in {where} ({n['module']}) produced the first NaN/inf{rng}"
    else:
        seen = f"{where} ({n['module']}) got non-finite inputs at the first NaN"
    if lo_hi and max(abs(lo_hi[0]), abs(lo_hi[1])) > 1e6:
        seen += " (the values had grown that large: the run diverged)"
    if n["op"] in ("Log", "Log2", "Log10", "Div", "Pow", "Sqrt", "Rsqrt"):
        remedy = (
            f"keep the argument of {n['op']} in its domain: x.clamp(min=1e-7).log(), or use "
            "the fused, stable forms (F.log_softmax, nn.BCEWithLogitsLoss)"
        )
    else:
        remedy = (
            "lower the learning rate and clip gradients: Trainer(..., grad_clip=1.0); check "
            "that the inputs are scaled"
        )
    return Finding(
        "nan",
        f"{seen}, at step {n['step']}",
        remedy,
        layer=None if n["layer"] == "the loss" else n["layer"],
        step=n["step"],
        epoch=n["epoch"],
        numbers={"op": n["op"], "input_range": list(lo_hi) if lo_hi else None},
    )
