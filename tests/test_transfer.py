"""Transfer learning: freeze/unfreeze (batch norm kept in eval mode), requires_grad_(False),
the torchvision idiom ``model.fc = nn.Linear(...)``, parameter groups with their own learning
rates (all against PyTorch doing the same steps), and the digits-transfer program recipe."""

import os

import numpy as np
import pytest
import torch
import torchvision

import glassnet
from glassnet import models, nn
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


def test_digits_transfer_recipe_runs_and_reports_both_accuracies(tmp_path):
    assert "digits-transfer" in programs.PROGRAMS
    run_dir = tmp_path / "run"
    metrics = programs.run_program("digits-transfer", run_dir, epochs=1, progress=False)
    for key in ("transfer_accuracy", "scratch_accuracy", "head_only_accuracy"):
        assert 0.0 <= metrics[key] <= 1.0
    report = (run_dir / "report.md").read_text()
    assert f"{metrics['transfer_accuracy']:.3f}" in report
    assert f"{metrics['scratch_accuracy']:.3f}" in report
    with open(run_dir / "transfer.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    # the saved pre-trained weights are a 0-4 classifier the fine-tuned model started from
    pretrained = glassnet.load(str(run_dir / "pretrained.safetensors"))
    assert tuple(pretrained["classifier.2.weight"].shape) == (5, 512)
    assert os.path.exists(run_dir / "model.safetensors")


@pytest.mark.slow
def test_transfer_beats_training_from_scratch_on_average(tmp_path):
    # Averaged over three seeds: on these easy digits a single seed can go either way (scratch
    # won seed 0 by 1.4 points when this was written, transfer the other two by 2-3 points),
    # so one run is not evidence either way.
    gains = []
    for seed in range(3):
        run_dir = tmp_path / f"run{seed}"
        metrics = programs.run_program("digits-transfer", run_dir, seed=seed, progress=False)
        gains.append(metrics["transfer_accuracy"] - metrics["scratch_accuracy"])
    assert np.mean(gains) > 0, gains
