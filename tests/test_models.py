"""Every model in the zoo can overfit one small batch (the first sanity check of any model),
and its structural promises hold (the GPT is causal)."""

import numpy as np
import pytest

import glassnet
from glassnet import models, nn, optim


def _overfit(model, x, y, loss_fn, steps, lr=0.01):
    opt = optim.Adam(model.parameters(), lr=lr)
    model.train()
    first = None
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    return first, loss.item()


def _ce(out, y):
    return nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))


CASES = {
    "MLP": (lambda: models.MLP(6, [32, 32], 4, dropout=0.0, batch_norm=True), (16, 6), 4, 150),
    "LeNet5": (lambda: models.LeNet5(), (8, 1, 28, 28), 10, 60),
    "DigitsCNN": (lambda: models.DigitsCNN(dropout=0.0), (16, 1, 8, 8), 10, 60),
    "ResNet": (lambda: models.ResNet(blocks=(1, 1), widths=(8, 16)), (8, 3, 16, 16), 10, 80),
}


@pytest.mark.parametrize("name", list(CASES))
def test_classifier_overfits_one_batch(name):
    build, shape, classes, steps = CASES[name]
    glassnet.manual_seed(0)
    model = build()
    x = glassnet.randn(*shape)
    y = glassnet.randint(0, classes, (shape[0],))
    first, last = _overfit(model, x, y, _ce, steps)
    assert last < 0.1 * first, f"{name}: loss {first:.3f} -> {last:.3f}"
    model.eval()
    with glassnet.no_grad():
        assert (model(x).argmax(1) == y).float().mean().item() == 1.0


def test_lstm_language_model_overfits():
    glassnet.manual_seed(0)
    model = models.LSTMLanguageModel(vocab_size=12, hidden_size=32, num_layers=2)
    tokens = glassnet.randint(0, 12, (4, 10))
    first, last = _overfit(model, tokens[:, :-1], tokens[:, 1:], _ce, 150, lr=0.02)
    assert last < 0.1 * first


def test_forecaster_overfits():
    glassnet.manual_seed(0)
    model = models.LSTMForecaster(hidden_size=16)
    x = glassnet.randn(8, 12, 1)
    y = x[:, -3:].sum(1)
    first, last = _overfit(model, x, y, nn.functional.mse_loss, 200, lr=0.02)
    assert last < 0.05 * first


def test_gpt_overfits_and_is_causal():
    glassnet.manual_seed(0)
    model = models.GPT(vocab_size=16, block_size=12, d_model=32, n_layer=2, n_head=4)
    tokens = glassnet.randint(0, 16, (4, 12))
    first, last = _overfit(model, tokens[:, :-1], tokens[:, 1:], _ce, 100, lr=0.01)
    assert last < 0.1 * first
    model.eval()
    with glassnet.no_grad():
        a = model(tokens).numpy()
        changed = tokens.clone()
        changed[:, 6:] = (changed[:, 6:] + 1) % 16
        b = model(changed).numpy()
    np.testing.assert_allclose(a[:, :6], b[:, :6], rtol=1e-5, atol=1e-5)
    assert not np.allclose(a[:, 6:], b[:, 6:])
    with pytest.raises(glassnet.ShapeError, match="block_size"):
        model(glassnet.randint(0, 16, (1, 13)))
