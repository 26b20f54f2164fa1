"""Transfer learning: freeze/unfreeze (batch norm kept in eval mode), requires_grad_(False),
the torchvision idiom ``model.fc = nn.Linear(...)``, parameter groups with their own learning
rates (all against PyTorch doing the same steps), and the digits-transfer program recipe."""

import numpy as np
import pytest
import torch
import torchvision

import glassnet
from glassnet import models, nn
from glassnet.models.vision import printed_glyphs, transfer_recipe
from glassnet.nn.utils import freeze, is_frozen, unfreeze
from glassnet.recipes import programs


def _twins(num_classes=3):
    torch.manual_seed(0)
    twin = torchvision.models.resnet18(num_classes=num_classes).double()
    for m in twin.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    model = models.resnet18(num_classes=num_classes).to("float64")
    model.load_state_dict({k: v.numpy() for k, v in twin.state_dict().items()})
    return model, twin


def _batch(seed=0, side=64):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((2, 3, side, side)), np.array([0, 2])


def test_freeze_keeps_all_but_the_head_and_frozen_batchnorm_in_eval_mode():
    model, twin = _twins()
    freeze(model, except_="fc")
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["fc.weight", "fc.bias"]
    assert is_frozen(model.layer1) and not is_frozen(model.fc)
    model.train()  # a later train() leaves the frozen batch norms in eval mode
    assert model.training and model.fc.training
    assert not any(m.training for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    # PyTorch's way of doing the same by hand: requires_grad off, BN modules set to eval
    for name, p in twin.named_parameters():
        p.requires_grad_(name.startswith("fc."))
    twin.train()
    for m in twin.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.eval()
    opt_t = torch.optim.SGD([p for p in twin.parameters() if p.requires_grad], lr=0.1)
    opt = glassnet.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    for step in range(2):
        x, y = _batch(step)
        opt_t.zero_grad()
        torch.nn.functional.cross_entropy(twin(torch.tensor(x)), torch.tensor(y)).backward()
        opt_t.step()
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(glassnet.tensor(x)), glassnet.tensor(y))
        loss.backward()
        opt.step()
    for key, value in model.state_dict().items():
        if key.startswith("fc."):
            # float64 through resnet18: eps 1.1e-16 times ~1e4-term sums, far below 1e-10
            expected = twin.state_dict()[key].numpy()
            assert np.abs(value.numpy() - expected).max() <= 1e-10 * np.abs(expected).max()
        else:  # frozen weights and running statistics did not move
            assert np.array_equal(value.numpy(), before[key]), key
    assert all(p.grad is None for n, p in model.named_parameters() if not n.startswith("fc."))


def test_unfreeze_restores_gradients_and_batchnorm_modes():
    model = models.resnet18(num_classes=3)
    freeze(model, except_=["fc", model.layer4])  # names and modules both work
    assert not model.layer3[0].conv1.weight.requires_grad
    assert model.layer4[0].conv1.weight.requires_grad
    model.train()  # batch norms of the kept layers follow train(), the frozen ones do not
    assert model.layer4[0].bn1.training and not model.layer3[0].bn1.training
    unfreeze(model)
    assert all(p.requires_grad for p in model.parameters())
    model.train()
    assert all(m.training for m in model.modules())
    model.eval()
    assert not any(m.training for m in model.modules())


def test_freeze_names_a_wrong_submodule():
    with pytest.raises(AttributeError, match="not a submodule.*'fc'"):
        freeze(models.resnet18(num_classes=2), except_="head")


def test_requires_grad_false_then_new_head_assigned_torchvision_style():
    model = models.resnet18(num_classes=1000)
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    model.fc = nn.Linear(model.fc.in_features, 4)  # the idiom of torchvision tutorials
    assert model.fc.weight.requires_grad
    assert tuple(model.state_dict()["fc.weight"].shape) == (4, 512)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["fc.weight", "fc.bias"]
    x = glassnet.randn(2, 3, 32, 32)
    loss = nn.functional.cross_entropy(model(x), glassnet.tensor([1, 3]))
    loss.backward()
    assert model.fc.weight.grad is not None and model.conv1.weight.grad is None
    # replace_head does the same in one call
    head = model.replace_head(7)
    assert model.fc is head and head.out_features == 7


def test_parameter_groups_with_their_own_learning_rates_match_pytorch():
    model, twin = _twins()
    model.eval(), twin.eval()  # running statistics: the optimizers are what is compared
    backbone = [p for n, p in model.named_parameters() if not n.startswith("fc.")]
    backbone_t = [p for n, p in twin.named_parameters() if not n.startswith("fc.")]
    groups = [{"params": backbone, "lr": 1e-3}, {"params": list(model.fc.parameters())}]
    groups_t = [{"params": backbone_t, "lr": 1e-3}, {"params": list(twin.fc.parameters())}]
    opt = glassnet.optim.SGD(groups, lr=0.05, momentum=0.9)
    opt_t = torch.optim.SGD(groups_t, lr=0.05, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [1e-3, 0.05]
    for step in range(3):
        x, y = _batch(step, side=32)
        opt_t.zero_grad()
        torch.nn.functional.cross_entropy(twin(torch.tensor(x)), torch.tensor(y)).backward()
        opt_t.step()
        opt.zero_grad()
        nn.functional.cross_entropy(model(glassnet.tensor(x)), glassnet.tensor(y)).backward()
        opt.step()
    theirs = dict(twin.named_parameters())
    for name, p in model.named_parameters():
        expected = theirs[name].detach().numpy()
        # float64, three steps: eps 1.1e-16 times ~1e4-term sums; 1e-8 leaves a wide margin
        assert np.abs(p.detach().numpy() - expected).max() <= 1e-8 * max(
            1.0, np.abs(expected).max()
        ), name


class _MidRng:
    """Stands in for a numpy Generator: the middle of every range, so render() draws the
    glyph upright, centred, with the font's own pen."""

    def uniform(self, low, high, size=None):
        return np.full(size, (low + high) / 2) if size else (low + high) / 2

    def integers(self, low, high=None, size=None):
        return 0 if high is None else low


def test_printed_characters_are_drawn_like_the_uci_digits():
    x, y = printed_glyphs.printed_characters(per_class=3, seed=1)
    n = len(printed_glyphs.CHARACTERS)
    assert x.shape == (3 * n, 1, 8, 8) and x.dtype == np.float32
    assert np.array_equal(y, np.repeat(np.arange(n), 3))
    # each pixel counts the ink of a 4x4 block of a 32x32 bitmap: a multiple of 1/16 in [0, 1]
    assert np.array_equal(x * 16, np.round(x * 16)) and 0 <= x.min() and x.max() <= 1
    again, _ = printed_glyphs.printed_characters(per_class=3, seed=1)
    other, _ = printed_glyphs.printed_characters(per_class=3, seed=2)
    assert np.array_equal(x, again) and not np.array_equal(x, other)
    # holes stay holes (even-odd fill): an upright O is inked around an empty centre in
    # every font (not 0: the mono fonts put a dot inside it)
    for font in printed_glyphs.FONTS:
        image = printed_glyphs.render("O", font, _MidRng())
        assert image[3:5, 3:5].max() <= 0.25, font  # at most 4 of a block's 16 pixels
        assert image[:, :2].sum() > 0 and image[:, 6:].sum() > 0, font
    # curves are flattened finely: the area inside an O's outlines is within 1% of the area
    # of the same outlines flattened 100x more finely (measured 0.5% off in DejaVu Sans; with
    # the coarse chords of a glyph size of 1 it was 2.6% off and round strokes lost pixels)
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    def area(polygons):  # shoelace; the hole's contour runs the other way and subtracts
        return abs(sum((q[:-1, 0] * q[1:, 1] - q[1:, 0] * q[:-1, 1]).sum() for q in polygons)) / 2

    for font in printed_glyphs.FONTS:
        prop = FontProperties(family=font[0], weight=font[1], style=font[2])
        fine = [q for q in TextPath((0, 0), "O", size=1e4, prop=prop).to_polygons() if len(q) > 2]
        points = np.concatenate(fine)
        fine = [q / (points.max(0) - points.min(0)).max() for q in fine]
        ours = area(printed_glyphs._outline("O", font))
        assert abs(ours - area(fine)) <= 0.01 * area(fine), font


def test_digits_transfer_recipe_runs_and_reports_both_accuracies(tmp_path, monkeypatch):
    assert "digits-transfer" in programs.PROGRAMS
    monkeypatch.setattr(transfer_recipe, "PER_CLASS", 10)  # a small source: this checks wiring
    run_dir = tmp_path / "run"
    metrics = programs.run_program("digits-transfer", run_dir, epochs=1, progress=False)
    for key in ("transfer_accuracy", "scratch_accuracy", "head_only_accuracy"):
        assert 0.0 <= metrics[key] <= 1.0
    # 2 labelled images per digit; every other image of the 1797 is a test image
    assert metrics["labelled_examples"] == 20 and metrics["test_examples"] == 1777
    report = (run_dir / "report.md").read_text()
    assert f"{metrics['transfer_accuracy']:.3f}" in report
    assert f"{metrics['scratch_accuracy']:.3f}" in report
    with open(run_dir / "transfer.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    # the saved pre-trained weights classify the printed characters; the fine-tuned model has a
    # new 10-way head, fine-tuned convolutions, and the batch norms it started from (frozen)
    pretrained = glassnet.load(str(run_dir / "pretrained.safetensors"))
    tuned = glassnet.load(str(run_dir / "model.safetensors"))
    n_chars = len(printed_glyphs.CHARACTERS)
    assert tuple(pretrained["classifier.2.weight"].shape) == (n_chars, 512)
    assert tuple(tuned["classifier.2.weight"].shape) == (10, 512)
    assert not np.array_equal(
        tuned["features.0.weight"].numpy(), pretrained["features.0.weight"].numpy()
    )
    for key in ("features.1.running_mean", "features.1.weight", "features.4.running_var"):
        assert np.array_equal(tuned[key].numpy(), pretrained[key].numpy()), key


@pytest.mark.slow
def test_transfer_beats_training_from_scratch_on_every_seed(tmp_path):
    # The noise of one measured gain: each accuracy is a mean over n = 1777 test images, a
    # binomial standard deviation sqrt(p(1-p)/n) = 0.008 at p = 0.85; the difference of two has
    # at most sqrt(2) times that (less, as both are measured on the same images), 0.012. The
    # design was chosen on seeds 0-4 (gains 2.7 to 7.9 points, 2.3 to 6.2 such deviations) and
    # confirmed on seeds 5-9 (1.3 to 6.3 points; seed 8 sits at one deviation): see
    # docs/models.md. Seeds 0-2 run here.
    gains = []
    for seed in range(3):
        metrics = programs.run_program(
            "digits-transfer", tmp_path / f"run{seed}", seed=seed, progress=False
        )
        p, n = metrics["scratch_accuracy"], metrics["test_examples"]
        sigma = np.sqrt(2 * p * (1 - p) / n)
        gains.append(metrics["transfer_accuracy"] - metrics["scratch_accuracy"])
        # every seed: the gain is more than one standard deviation of its measurement
        assert gains[-1] > sigma, (seed, gains, sigma)
    # the mean of three seeds has sigma / sqrt(3): require three of those
    assert np.mean(gains) > 3 * sigma / np.sqrt(len(gains)), (gains, sigma)
