"""``gpt-chars``: a character-level GPT-2 (glassnet's GPT2LMHeadModel) on Python's own
standard-library source; the report gives the test perplexity per character and samples."""

from __future__ import annotations

import math

import numpy as np

import glassnet
from glassnet.datasets.text import read_corpus
from glassnet.models.text.gpt2 import GPT2LMHeadModel
from glassnet.models.text.recipes._common import save_weights, say, start, step, write_report

EPOCHS = 3
STEPS_PER_EPOCH = 150
BLOCK = 64


def _windows(ids, rng, n, block):
    starts = rng.integers(0, len(ids) - block - 1, n)
    return np.stack([ids[s : s + block] for s in starts])


def run(run_dir, *, epochs=None, seed=0, progress=True) -> dict:
    epochs = EPOCHS if epochs is None else epochs
    rng, started = start(seed)
    text = read_corpus(max_chars=400_000)
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    ids = np.array([stoi[c] for c in text], dtype=np.int64)
    cut = int(0.9 * len(ids))
    train, test = ids[:cut], ids[cut:]
    model = GPT2LMHeadModel(
        vocab_size=len(chars),
        n_positions=BLOCK,
        n_embd=96,
        n_layer=3,
        n_head=4,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        bos_token_id=None,
        eos_token_id=None,
    )
    opt = glassnet.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    for epoch in range(epochs):
        model.train()
        losses = []
        for _ in range(STEPS_PER_EPOCH):
            x = glassnet.tensor(_windows(train, rng, 32, BLOCK))
            losses.append(step(opt, model(x, labels=x).loss))
        say(progress, f"epoch {epoch + 1}/{epochs}: train loss {np.mean(losses):.4f}")
    model.eval()
    eval_rng = np.random.default_rng(1234)  # the same test windows whatever the seed
    with glassnet.no_grad():
        x = glassnet.tensor(_windows(test, eval_rng, 128, BLOCK))
        test_loss = float(model(x, labels=x).loss.item())
    metrics = {"perplexity": math.exp(test_loss), "test_loss": test_loss, "epochs": epochs}
    samples = []
    for prompt in ("def ", "import ", "class "):
        glassnet.manual_seed(seed)
        prompt_ids = glassnet.tensor([[stoi[c] for c in prompt]])
        out = model.generate(
            prompt_ids,
            max_new_tokens=BLOCK - len(prompt),
            do_sample=True,
            temperature=0.8,
            top_k=20,
        )
        samples.append("".join(chars[i] for i in out[0].tolist()))
    save_weights(run_dir, model)
    shown = "\n\n".join(f"```python\n{s}\n```" for s in samples)
    write_report(
        run_dir,
        "Character-level GPT-2 on Python source",
        f"GPT-2 (3 layers, width 96, context {BLOCK}) over {len(chars)} characters, trained "
        f"{epochs} x {STEPS_PER_EPOCH} steps of 32 windows; perplexity per character on the "
        "last 10% of the text.",
        metrics,
        [("Samples (temperature 0.8, top-k 20)", shown)],
        started,
    )
    return metrics
