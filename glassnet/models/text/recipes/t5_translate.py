"""``t5-translate``: T5 learns to write numbers in words ("427" -> "four hundred twenty
seven"), a generated translation task; the report gives corpus BLEU (glassnet.train.metrics),
exact-match accuracy and example translations of held-out numbers."""

from __future__ import annotations

import numpy as np

import glassnet
from glassnet.models.text.recipes._common import (
    batches,
    save_weights,
    say,
    start,
    step,
    write_report,
)
from glassnet.models.text.t5 import T5ForConditionalGeneration
from glassnet.train.metrics import bleu

EPOCHS = 10
TRAIN_SIZE = 4000  # numbers seen in training (the quick test uses fewer)
TEST_SIZE = 300
ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen \
fifteen sixteen seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def words(n: int) -> list[str]:
    """English words of 0 <= n < 10000 (no "and"): 1203 -> one thousand two hundred three."""
    if n < 20:
        return [ONES[n]]
    if n < 100:
        return [TENS[n // 10]] + ([ONES[n % 10]] if n % 10 else [])
    if n < 1000:
        return [ONES[n // 100], "hundred"] + (words(n % 100) if n % 100 else [])
    return words(n // 1000) + ["thousand"] + (words(n % 1000) if n % 1000 else [])


VOCAB = ["<pad>", "</s>", "<unk>"] + list("0123456789") + ONES[10:] + ONES[:10] + TENS[2:]
VOCAB += ["hundred", "thousand"]
VOCAB = list(dict.fromkeys(VOCAB))  # digits and the words zero..nine are different tokens
ID = {t: i for i, t in enumerate(VOCAB)}


def _encode(tokens, length):
    ids = [ID[t] for t in tokens] + [1]
    return ids + [0] * (length - len(ids))


def _data(numbers):
    src = np.array([_encode(list(str(n)), 6) for n in numbers])
    tgt = np.array([_encode(words(n), 8) for n in numbers])
    return src, tgt


def run(run_dir, *, epochs=None, seed=0, progress=True) -> dict:
    epochs = EPOCHS if epochs is None else epochs
    rng, started = start(seed)
    numbers = np.random.default_rng(0).permutation(10000)
    test_numbers = numbers[:TEST_SIZE]
    train_numbers = numbers[TEST_SIZE : TEST_SIZE + TRAIN_SIZE]
    src, tgt = _data(train_numbers)
    model = T5ForConditionalGeneration(
        vocab_size=len(VOCAB),
        d_model=64,
        d_kv=16,
        d_ff=128,
        num_layers=2,
        num_heads=4,
        dropout_rate=0.0,
        relative_attention_num_buckets=16,
        relative_attention_max_distance=16,
    )
    opt = glassnet.optim.AdamW(model.parameters(), lr=3e-3)
    for epoch in range(epochs):
        model.train()
        losses = []
        for i in batches(len(src), 64, rng):
            labels = np.where(tgt[i] == 0, -100, tgt[i])
            out = model(
                input_ids=glassnet.tensor(src[i]),
                attention_mask=glassnet.tensor(src[i] != 0),
                labels=glassnet.tensor(labels),
            )
            losses.append(step(opt, out.loss))
        say(progress, f"epoch {epoch + 1}/{epochs}: train loss {np.mean(losses):.4f}")
    model.eval()
    tsrc, _ = _data(test_numbers)
    out = model.generate(
        glassnet.tensor(tsrc),
        attention_mask=glassnet.tensor(tsrc != 0),
        max_new_tokens=8,
        eos_token_id=1,
    ).numpy()
    preds = [[VOCAB[t] for t in row[1:] if t > 1] for row in out]
    refs = [words(int(n)) for n in test_numbers]
    metrics = {
        "bleu": bleu(preds, refs),
        "exact_match": float(np.mean([p == r for p, r in zip(preds, refs)])),
        "epochs": epochs,
    }
    rows = ["| digits | T5 | reference |", "|---|---|---|"]
    rows += [
        f"| {n} | {' '.join(p)} | {' '.join(r)} |"
        for n, p, r in list(zip(test_numbers, preds, refs))[:12]
    ]
    save_weights(run_dir, model)
    write_report(
        run_dir,
        "T5: numbers in words",
        f"T5 (2+2 layers, width 64) trained {epochs} epochs on {len(src)} numbers below 10000, "
        f"translating {len(test_numbers)} held-out numbers with greedy decoding.",
        metrics,
        [("Held-out translations", "\n".join(rows))],
        started,
    )
    return metrics
