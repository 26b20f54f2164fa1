"""glassnet.compile over the bundled models: compiled training steps equal eager ones, exactly.

The oracle is glassnet's eager mode run from the same seed: a replay calls the same forward and
backward formulas on the same arrays in the same order, and dropout draws from the same seeded
generator, so on the CPU the loss, the output, every gradient and every parameter after N
optimizer steps must be bit-identical (np.array_equal, no tolerance). Each model is built small
(a few thousand to a few hundred thousand weights) so the whole file stays fast.
"""

import numpy as np
import pytest

import glassnet
from glassnet import nn
from glassnet.models import (
    GPT,
    MLP,
    BertForSequenceClassification,
    CenterNet,
    DigitsCNN,
    GPT2LMHeadModel,
    LeNet5,
    LSTMForecaster,
    LSTMLanguageModel,
    ResNet,
    T5ForConditionalGeneration,
    UNet,
    ViT,
    generative,
    vision,
)

F = nn.functional
STEPS = 3


def _ids(rng, shape, vocab=100):
    return glassnet.tensor(rng.integers(2, vocab, shape))


def _images(rng, shape):
    return glassnet.tensor(rng.standard_normal(shape).astype(np.float32))


def _xent(out, y):
    return F.cross_entropy(out, y)


def _lm_loss(logits, y):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


# name -> (make the model, make (inputs, target) from a generator, loss(model, *inputs, target)
# returning (an output tensor, the scalar loss))
def _plain(loss):
    return lambda model, x, y: (lambda out: (out, loss(out, y)))(model(x))


CASES = {
    "MLP+dropout+bn": (
        lambda: MLP(6, hidden=(16, 8), out_features=3, dropout=0.2, batch_norm=True),
        lambda r: (_images(r, (8, 6)), glassnet.tensor(r.integers(0, 3, 8))),
        _plain(_xent),
    ),
    "LeNet5": (
        LeNet5,
        lambda r: (_images(r, (2, 1, 28, 28)), glassnet.tensor(r.integers(0, 10, 2))),
        _plain(_xent),
    ),
    "DigitsCNN": (
        DigitsCNN,
        lambda r: (_images(r, (4, 1, 8, 8)), glassnet.tensor(r.integers(0, 10, 4))),
        _plain(_xent),
    ),
    "ResNet (CIFAR)": (
        lambda: ResNet(blocks=(1, 1), widths=(4, 8), num_classes=5),
        lambda r: (_images(r, (2, 3, 16, 16)), glassnet.tensor(r.integers(0, 5, 2))),
        _plain(_xent),
    ),
    "LSTMLanguageModel": (
        lambda: LSTMLanguageModel(30, embed_size=8, hidden_size=12, num_layers=2, dropout=0.2),
        lambda r: (_ids(r, (3, 7), 30), _ids(r, (3, 7), 30)),
        _plain(_lm_loss),
    ),
    "LSTMForecaster": (
        lambda: LSTMForecaster(2, hidden_size=8, num_layers=2, output_size=1),
        lambda r: (_images(r, (4, 5, 2)), _images(r, (4, 1))),
        _plain(F.mse_loss),
    ),
    "GPT": (
        lambda: GPT(30, block_size=8, d_model=16, n_layer=2, n_head=2, dropout=0.1),
        lambda r: (_ids(r, (2, 8), 30), _ids(r, (2, 8), 30)),
        _plain(_lm_loss),
    ),
    "GPT2LMHeadModel": (
        lambda: GPT2LMHeadModel(vocab_size=100, n_embd=16, n_layer=2, n_head=2, n_positions=16),
        lambda r: (_ids(r, (2, 6)), _ids(r, (2, 6))),
        lambda m, x, y: (lambda o: (o.logits, _lm_loss(o.logits, y)))(m(x)),
    ),
    "BertForSequenceClassification": (
        lambda: BertForSequenceClassification(
            vocab_size=100,
            hidden_size=16,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=32,
            max_position_embeddings=16,
            num_labels=3,
        ),  # fmt: skip
        lambda r: (_ids(r, (2, 6)), glassnet.tensor(r.integers(0, 3, 2))),
        lambda m, x, y: (lambda o: (o.logits, _xent(o.logits, y)))(m(x)),
    ),
    "T5ForConditionalGeneration": (
        lambda: T5ForConditionalGeneration(
            vocab_size=100,
            d_model=16,
            d_kv=8,
            d_ff=32,
            num_layers=1,
            num_decoder_layers=1,
            num_heads=2,
            relative_attention_num_buckets=8,
            relative_attention_max_distance=16,
            decoder_start_token_id=0,
            pad_token_id=0,
            eos_token_id=1,
        ),  # fmt: skip
        lambda r: (_ids(r, (2, 5)), _ids(r, (2, 4))),
        lambda m, x, y: (lambda o: (o.logits, o.loss))(m(input_ids=x, labels=y)),
    ),
    "ViT": (
        lambda: ViT(
            image_size=8,
            patch_size=4,
            num_layers=1,
            num_heads=2,
            hidden_dim=16,
            mlp_dim=32,
            num_classes=4,
            in_channels=1,
            dropout=0.1,
        ),  # fmt: skip
        lambda r: (_images(r, (2, 1, 8, 8)), glassnet.tensor(r.integers(0, 4, 2))),
        _plain(_xent),
    ),
    "UNet": (
        lambda: UNet(in_channels=1, num_classes=2, base_channels=4, depth=2),
        lambda r: (_images(r, (2, 1, 8, 8)), glassnet.tensor(r.integers(0, 2, (2, 8, 8)))),
        _plain(_xent),
    ),
    "CenterNet": (
        lambda: CenterNet(num_classes=2, in_channels=1, width=4),
        lambda r: (_images(r, (2, 1, 16, 16)), None),
        lambda m, x, y: (lambda o: (_first(o), _sum_all(o)))(m(x)),
    ),
    "resnet18": (
        lambda: vision.resnet18(num_classes=4),
        lambda r: (_images(r, (2, 3, 32, 32)), glassnet.tensor(r.integers(0, 4, 2))),
        _plain(_xent),
    ),
    "mobilenet_v2": (
        lambda: vision.mobilenet_v2(num_classes=4),
        lambda r: (_images(r, (2, 3, 32, 32)), glassnet.tensor(r.integers(0, 4, 2))),
        _plain(_xent),
    ),
    "Autoencoder": (
        lambda: generative.Autoencoder(in_features=16, hidden=8, latent_dim=4),
        lambda r: (_images(r, (4, 16)).sigmoid(), None),
        lambda m, x, y: (lambda o: (o, F.mse_loss(o, x)))(m(x)),
    ),
    "ConvAutoencoder": (
        lambda: generative.ConvAutoencoder(in_channels=1, image_size=8, width=4, latent_dim=4),
        lambda r: (_images(r, (2, 1, 8, 8)).sigmoid(), None),
        lambda m, x, y: (lambda o: (o, F.mse_loss(o, x)))(m(x)),
    ),
    "VAE (noise passed in)": (
        lambda: generative.VAE(in_features=16, hidden=8, latent_dim=2),
        lambda r: (_images(r, (4, 16)).sigmoid(), _images(r, (4, 2))),
        lambda m, x, eps: (lambda d: (d["recon"], d["loss"]))(m.loss(x, eps=eps)),
    ),
    "DCGANGenerator": (
        lambda: generative.DCGANGenerator(nz=4, width=4, channels=1, image_size=16),
        lambda r: (_images(r, (2, 4)), _images(r, (2, 1, 16, 16))),
        _plain(F.mse_loss),
    ),
    "DCGANDiscriminator": (
        lambda: generative.DCGANDiscriminator(width=4, channels=1, image_size=16),
        lambda r: (_images(r, (2, 1, 16, 16)), glassnet.ones(2)),
        lambda m, x, y: (lambda o: (o, F.binary_cross_entropy_with_logits(o.reshape(-1), y)))(m(x)),
    ),
    "MLPGenerator/Discriminator (conditional)": (
        lambda: nn.ModuleList(
            [
                generative.MLPGenerator(nz=3, hidden=8, num_classes=2),
                generative.MLPDiscriminator(hidden=8, num_classes=2),
            ]
        ),  # fmt: skip
        lambda r: (_images(r, (4, 3)), glassnet.tensor(r.integers(0, 2, 4))),
        lambda m, z, y: (lambda o: (o, o.mean()))(m[1](m[0](z, y), y)),
    ),
    # DDPM.loss itself reads t in NumPy (see KNOWN_LIMITS); its denoisers compile
    "UNetSmall denoiser": (
        lambda: generative.UNetSmall(in_channels=1, base=8, time_dim=16),
        lambda r: (
            _images(r, (2, 1, 8, 8)),
            (glassnet.tensor(r.integers(0, 10, 2)), _images(r, (2, 1, 8, 8))),
        ),
        lambda m, x, tn: (lambda o: (o, F.mse_loss(o, tn[1])))(m(x, tn[0])),
    ),
    "MLPDenoiser (conditional)": (
        lambda: generative.MLPDenoiser(hidden=16, time_dim=8, num_classes=2),
        lambda r: (
            _images(r, (4, 2)),
            (glassnet.tensor(r.integers(0, 10, 4)), _images(r, (4, 2))),
        ),
        lambda m, x, tn: (lambda o: (o, F.mse_loss(o, tn[1])))(
            m(x, tn[0], glassnet.tensor([0, 1, 0, 1]))
        ),
    ),
}


# Models whose training step draws its own random numbers or gathers with an index tensor:
# efficientnet_b0's StochasticDepth (per-example keep masks through dropout's keep_mask) and
# the DDPM loss (the noise schedule gathered at the sampled steps t by a tensor op).
CASES_WITH_OWN_DRAWS = {
    "efficientnet_b0 training": (
        lambda: vision.efficientnet_b0(num_classes=4),
        lambda r: (_images(r, (2, 3, 32, 32)), glassnet.tensor(r.integers(0, 4, 2))),
        _plain(_xent),
    ),
    "DDPM.loss": (
        lambda: generative.DDPM(generative.MLPDenoiser(hidden=16, time_dim=8), 10),
        lambda r: (_images(r, (4, 2)), (glassnet.tensor(r.integers(0, 10, 4)), _images(r, (4, 2)))),
        lambda m, x, tn: (None, m.loss(x, t=tn[0], noise=tn[1])),
    ),
}
CASES.update(CASES_WITH_OWN_DRAWS)


def _first(o):
    if isinstance(o, dict):
        return next(iter(o.values()))
    return o[0] if isinstance(o, (tuple, list)) else o


def _sum_all(o):
    parts = o if isinstance(o, (tuple, list)) else list(o.values()) if isinstance(o, dict) else [o]
    total = None
    for p in parts:
        s = (p * p).mean()
        total = s if total is None else total + s
    return total


def _params(model):
    return model.parameters() if hasattr(model, "parameters") else model.model.parameters()


def _run(name, compiled):
    make, data, loss_of = CASES[name]
    glassnet.manual_seed(0)
    model = make()
    model.train() if hasattr(model, "train") else None
    params = list(_params(model))
    opt = glassnet.optim.Adam(params, lr=1e-2)
    x, y = data(np.random.default_rng(0))

    def step(x, y):
        opt.zero_grad()
        out, loss = loss_of(model, x, y)
        loss.backward()
        opt.step()
        return out, loss

    fn = glassnet.compile(step) if compiled else step
    outs = []
    for _ in range(STEPS):
        out, loss = fn(x, y)
        outs.append((None if out is None else out._data.copy(), loss._data.copy()))
    grads = [None if p.grad is None else p.grad._data.copy() for p in params]
    weights = [p._data.copy() for p in params]
    return outs, grads, weights, fn


@pytest.mark.parametrize("name", list(CASES))
def test_compiled_training_step_is_bit_identical_to_eager(name):
    eager = _run(name, compiled=False)
    compiled = _run(name, compiled=True)
    fn = compiled[3]
    assert fn.recordings == 1 and fn.replays == STEPS - 1  # really replayed, not re-recorded
    for (oe, le), (oc, lc) in zip(eager[0], compiled[0]):
        assert np.array_equal(le, lc)
        assert (oe is None and oc is None) or np.array_equal(oe, oc)
    assert len(eager[1]) == len(compiled[1])
    for ge, gc in zip(eager[1], compiled[1]):
        assert (ge is None and gc is None) or np.array_equal(ge, gc)
    for we, wc in zip(eager[2], compiled[2]):
        assert np.array_equal(we, wc)
    # the steps changed the weights (a plan that did nothing would fail above only if eager did)
    glassnet.manual_seed(0)
    fresh = [p._data for p in _params(CASES[name][0]())]
    assert any(not np.array_equal(a, b) for a, b in zip(fresh, compiled[2]))


def test_efficientnet_b0_eval_inference_is_bit_identical():
    # in eval mode StochasticDepth is the identity, so the zoo's EfficientNet compiles
    glassnet.manual_seed(0)
    model = vision.efficientnet_b0(num_classes=4).eval()
    compiled = glassnet.compile(model)
    rng = np.random.default_rng(0)
    with glassnet.no_grad():
        for _ in range(3):
            x = _images(rng, (1, 3, 32, 32))
            assert np.array_equal(compiled(x)._data, model(x)._data)
    assert compiled.recordings == 1 and compiled.replays == 2
