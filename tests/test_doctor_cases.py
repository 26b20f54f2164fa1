"""The doctor's honest suite: every deliberately broken set-up in tests/doctor_cases.py must
trigger its finding, every healthy one (the bundled recipes among them) none; five remedies
named by the doctor must remove their finding and improve the run."""

from __future__ import annotations

import json
import math

import doctor_cases as dc  # noqa: E402  (tests/ is on sys.path under pytest)
import numpy as np
import pytest

import glassnet
from glassnet import nn, optim
from glassnet.doctor import VOCABULARY, Doctor, Finding, Report, check
from glassnet.train import Trainer, TrainingDivergedError


@pytest.mark.parametrize("name,code,builder", dc.BROKEN, ids=[c[0] for c in dc.BROKEN])
def test_broken_setup_triggers_its_finding(name, code, builder):
    report = dc.run_case(builder)
    assert code in report.codes, f"{name}: expected {code}, got {report.codes}"
    f = next(f for f in report.findings if f.code == code)
    assert f.seen and f.remedy and f.why


@pytest.mark.parametrize("name,builder", dc.HEALTHY, ids=[c[0] for c in dc.HEALTHY])
def test_healthy_setup_triggers_nothing(name, builder):
    report = dc.run_case(builder)
    assert report.codes == [], f"{name}: false alarm {[str(f) for f in report.findings]}"


def test_suite_is_large_enough_and_covers_the_vocabulary():
    assert len(dc.BROKEN) >= 20 and len(dc.HEALTHY) >= 10
    assert {code for _, code, _ in dc.BROKEN} == set(VOCABULARY)


# ---- what the findings say -------------------------------------------------------------------
def test_dead_relu_names_the_layer_and_the_fraction():
    f = next(f for f in dc.run_case(dc.dead_relu_bias).findings if f.code == "dead_relu")
    # bias -100 against pre-activations |x w| of a few units: every unit of ReLU '1' is off
    assert f.layer == "1"
    assert f.numbers["dead_fraction"] == 1.0
    assert "nn.init.zeros_(model[0].bias)" in f.remedy


def test_nan_names_the_first_op_and_layer():
    f = next(f for f in dc.run_case(dc.nan_log_layer).findings if f.code == "nan")
    # model = Linear(0) -> _LogLayer(1) -> Linear(2): log(relu(x)) is -inf where x <= 0
    assert f.layer == "1" and f.numbers["op"] == "Log" and f.step == 0
    lo, hi = f.numbers["input_range"]
    assert lo == 0 < hi  # the input of Log: the ReLU made the negative ones exactly 0
    g = next(f for f in dc.run_case(dc.nan_log_in_loss).findings if f.code == "nan")
    assert g.layer is None and "loss" in g.seen and g.numbers["op"] == "Log"


def test_report_markdown_and_json():
    report = dc.run_case(dc.softmax_into_ce)
    data = json.loads(report.to_json())
    assert [f["code"] for f in data["findings"]] == report.codes == ["logits_expected"]
    assert data["findings"][0]["layer"] == "3"  # Linear, ReLU, Linear, Softmax
    text = report.markdown()
    assert "`logits_expected`" in text and "remedy" in text
    with pytest.raises(ValueError, match="vocabulary"):
        Finding("not_a_code", seen="x")
    assert "nothing wrong" in str(Report([], steps=3))


def test_check_leaves_the_model_and_optimizer_alone():
    c = dc.dead_relu_bias()
    before = {k: v.numpy().copy() for k, v in c["model"].state_dict().items()}
    check(c["model"], c["loss"], c["data"], c["optimizer"], steps=5)
    for k, v in c["model"].state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    assert not c["optimizer"].state


# ---- the Trainer callback ----------------------------------------------------------------
def _loader(x, y, bs=32):
    return [(x[i : i + bs], y[i : i + bs]) for i in range(0, len(x), bs)]


def test_doctor_callback_reports_once_during_fit():
    c = dc.dead_relu_bias()
    x, y = c["data"]
    printed = []
    doctor = Doctor(every=4, print_fn=printed.append)
    t = Trainer(c["model"], c["loss"], c["optimizer"], callbacks=[doctor], progress=False)
    t.fit(_loader(x, y), epochs=4)
    assert "dead_relu" in doctor.report.codes
    assert len(printed) == 1 and "dead_relu" in printed[0]


def test_doctor_callback_names_the_nan_of_a_diverged_fit(tmp_path):
    c = dc.nan_log_layer()
    x, y = c["data"]
    doctor = Doctor(every=1, verbose=False, run_dir=str(tmp_path))
    t = Trainer(c["model"], c["loss"], c["optimizer"], callbacks=[doctor], progress=False)
    with pytest.raises(TrainingDivergedError):
        t.fit(_loader(x, y), epochs=1)
    f = doctor.report.findings[0]
    assert (f.code, f.layer) == ("nan", "1")
    saved = json.loads((tmp_path / "doctor.json").read_text())
    assert saved["findings"][0]["code"] == "nan"
    assert "Training doctor" in (tmp_path / "report.md").read_text()


# ---- remedies: the finding goes away and the run gets better -------------------------------
def _tail_loss(report):
    losses = [v for v in report.losses if math.isfinite(v)]
    return float(np.mean(losses[-10:])) if len(losses) == len(report.losses) else math.inf


def _with(case, **changes):
    case = dict(case)
    case.update(changes)
    return dc.run_case(lambda: case)


def test_remedy_relu_and_kaiming_for_vanishing_gradients():
    broken = dc.run_case(dc.deep_sigmoid)
    glassnet.manual_seed(0)
    model = dc.mlp(2, [32] * 10, 2, nn.ReLU)
    for m in model:
        if isinstance(m, nn.Linear):  # the remedy the finding names
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
    fixed = _with(dc.deep_sigmoid(), model=model, optimizer=optim.Adam(model.parameters(), 1e-2))
    assert "vanishing_gradients" in broken.codes and fixed.codes == []
    assert _tail_loss(fixed) < 0.8 * _tail_loss(broken)


def test_remedy_zero_bias_for_dead_relu():
    broken = dc.run_case(dc.dead_relu_bias)
    case = dc.dead_relu_bias()
    nn.init.zeros_(case["model"][0].bias)
    fixed = _with(case)
    assert "dead_relu" in broken.codes and fixed.codes == []
    assert _tail_loss(fixed) < 0.5 * _tail_loss(broken)


def test_remedy_logits_for_softmax_into_cross_entropy():
    broken = dc.run_case(dc.softmax_into_ce)
    case = dc.softmax_into_ce()
    model = nn.Sequential(*list(case["model"])[:-1])  # drop the Softmax
    fixed = _with(case, model=model, optimizer=optim.Adam(model.parameters(), 1e-2))
    assert "logits_expected" in broken.codes and fixed.codes == []
    # Metric: mean -log p(true class) on the training data, with p read as each model means it.
    x, y = case["data"]
    with glassnet.no_grad():
        p_broken = broken.model(x).numpy()
        p_fixed = glassnet.nn.functional.softmax(fixed.model(x), dim=1).numpy()
    idx = np.arange(len(y)), y.numpy()
    # (blobs are easy, so the broken model learns too, only slower: the softmax in front of
    # the loss's own log-softmax scales its gradients down)
    assert -np.log(p_fixed[idx]).mean() < -np.log(p_broken[idx]).mean()


def test_remedy_hidden_layer_for_underfitting():
    broken = dc.run_case(dc.linear_on_xor)
    case = dc.linear_on_xor()
    glassnet.manual_seed(0)
    model = dc.mlp(2, [64], 2)  # "more or wider hidden layers with a non-linearity"
    fixed = _with(case, model=model, optimizer=optim.Adam(model.parameters(), 1e-2))
    assert "underfitting" in broken.codes and fixed.codes == []
    # log 2 = 0.693 is the loss of a 50/50 guess, all a linear model can do on XOR
    assert _tail_loss(broken) > 0.6 and _tail_loss(fixed) < 0.5 * _tail_loss(broken)


def test_remedy_lower_lr_for_lr_too_high():
    broken = dc.run_case(dc.lr_10x_high)
    case = dc.lr_10x_high()
    lr = case["optimizer"].param_groups[0]["lr"] / 10  # "divide the learning rate by 10"
    fixed = _with(case, optimizer=optim.SGD(case["model"].parameters(), lr=lr))
    assert "lr_too_high" in broken.codes and fixed.codes == []
    # 1/lambda_max converges; the noise floor of linreg() is 0.1^2 = 0.01 per sample
    assert _tail_loss(fixed) < 0.05 and not math.isfinite(_tail_loss(broken))
