"""``bert-mlm``: BERT pre-trained by masked-language modelling on lines of Python's standard
library, then fine-tuned (through save_pretrained / from_pretrained, as with a published
checkpoint) to tell a comment's words from a line of code, with the ``#`` removed so that the
model must read the words. The report gives both: masked-token accuracy and classification
accuracy on held-out lines."""

from __future__ import annotations

import os
import warnings

import numpy as np

import glassnet
from glassnet.data.tokenizers import WordPieceTokenizer
from glassnet.datasets.text import read_corpus
from glassnet.models.text.bert import BertForMaskedLM, BertForSequenceClassification
from glassnet.models.text.recipes._common import (
    batches,
    save_weights,
    say,
    start,
    step,
    write_report,
)

EPOCHS = 6
LINES = 2500  # lines of each kind (the quick test uses fewer)
LENGTH = 32
CONFIG = dict(
    hidden_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=128,
    max_position_embeddings=LENGTH,
    hidden_dropout_prob=0.1,
    attention_probs_dropout_prob=0.0,
)


def _lines(max_chars=1_200_000):
    comments, code = [], []
    for line in read_corpus(max_chars).splitlines():
        s = line.strip()
        if s.startswith("# ") and len(s) > 20:
            comments.append(s[2:])
        elif len(s) > 20 and s[0] not in "#\"'" and "#" not in s:
            code.append(s)
    return comments, code


def mask_tokens(ids, tok, rng, rate=0.15):
    """BERT's masking: 15% of the real tokens are predicted; of those 80% become [MASK], 10% a
    random token and 10% stay."""
    ids = ids.copy()
    special = np.isin(ids, [tok.token_to_id(t) for t in ("[PAD]", "[CLS]", "[SEP]")])
    chosen = (rng.random(ids.shape) < rate) & ~special
    labels = np.where(chosen, ids, -100)
    r = rng.random(ids.shape)
    ids[chosen & (r < 0.8)] = tok.token_to_id("[MASK]")
    swap = chosen & (r >= 0.8) & (r < 0.9)
    ids[swap] = rng.integers(5, tok.vocab_size, swap.sum())
    return ids, labels


def run(run_dir, *, epochs=None, seed=0, progress=True) -> dict:
    epochs = EPOCHS if epochs is None else epochs
    rng, started = start(seed)
    comments, code = _lines()
    split = np.random.default_rng(0)
    comments = [comments[i] for i in split.permutation(len(comments))]
    code = [code[i] for i in split.permutation(len(code))]
    n = min(len(comments), len(code), LINES)
    test_n = n // 6
    texts = comments[:n] + code[:n]
    labels = np.array([1] * n + [0] * n)
    is_test = np.zeros(2 * n, dtype=bool)
    is_test[:test_n] = is_test[n : n + test_n] = True
    tok = WordPieceTokenizer.train([t for t, h in zip(texts, is_test) if not h], vocab_size=1000)
    enc = tok(texts, padding="max_length", truncation=True, max_length=LENGTH, return_tensors="np")
    ids, mask = enc["input_ids"], enc["attention_mask"]
    train, test = np.flatnonzero(~is_test), np.flatnonzero(is_test)

    # 1. masked-language pre-training on the training lines (both kinds)
    mlm = BertForMaskedLM(vocab_size=tok.vocab_size, **CONFIG)
    opt = glassnet.optim.AdamW(mlm.parameters(), lr=2e-3, weight_decay=0.01)
    for epoch in range(epochs):
        mlm.train()
        losses = []
        for b in batches(len(train), 64, rng):
            x, y = mask_tokens(ids[train[b]], tok, rng)
            out = mlm(
                glassnet.tensor(x), glassnet.tensor(mask[train[b]]), labels=glassnet.tensor(y)
            )
            losses.append(step(opt, out.loss))
        say(progress, f"pre-training epoch {epoch + 1}/{epochs}: MLM loss {np.mean(losses):.4f}")
    mlm.eval()
    x, y = mask_tokens(ids[test], tok, np.random.default_rng(99))
    with glassnet.no_grad():
        pred = mlm(glassnet.tensor(x), glassnet.tensor(mask[test])).logits.numpy().argmax(-1)
    mlm_accuracy = float((pred == y)[y != -100].mean())

    # 2. fine-tuning: the pre-trained encoder under a classification head
    folder = os.path.join(run_dir, "pretrained_mlm")
    mlm.save_pretrained(folder)
    tok.save(os.path.join(folder, "tokenizer.json"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the new head and pooler are expected to be fresh
        clf = BertForSequenceClassification.from_pretrained(folder, num_labels=2)
    clf.train()
    opt = glassnet.optim.AdamW(clf.parameters(), lr=1e-3, weight_decay=0.01)
    fine_epochs = epochs
    for epoch in range(fine_epochs):
        losses = []
        for b in batches(len(train), 64, rng):
            i = train[b]
            out = clf(
                glassnet.tensor(ids[i]), glassnet.tensor(mask[i]), labels=glassnet.tensor(labels[i])
            )
            losses.append(step(opt, out.loss))
        say(progress, f"fine-tuning epoch {epoch + 1}/{fine_epochs}: loss {np.mean(losses):.4f}")
    clf.eval()
    with glassnet.no_grad():
        logits = clf(glassnet.tensor(ids[test]), glassnet.tensor(mask[test])).logits.numpy()
    accuracy = float((logits.argmax(1) == labels[test]).mean())
    metrics = {"mlm_accuracy": mlm_accuracy, "accuracy": accuracy, "epochs": epochs}
    examples = ["| line | comment? | model |", "|---|---|---|"]
    for i in test[:: max(1, len(test) // 8)][:8]:
        k = int(np.flatnonzero(test == i)[0])
        examples.append(
            f"| `{texts[i][:60]}` | {'yes' if labels[i] else 'no'} | "
            f"{'yes' if logits[k].argmax() else 'no'} |"
        )
    save_weights(run_dir, clf, tok)
    write_report(
        run_dir,
        "BERT: masked-language pre-training, then classification",
        f"A WordPiece vocabulary of {tok.vocab_size} and BERT (2 layers, width 64) pre-trained "
        f"{epochs} epochs on {len(train)} lines of Python source by masked-language modelling "
        f"(mlm_accuracy: masked tokens predicted right on {len(test)} held-out lines), then "
        f"fine-tuned {fine_epochs} epochs to tell comment words (the '#' removed) from code "
        "(accuracy on the held-out lines, half of each kind).",
        metrics,
        [("Held-out examples", "\n".join(examples))],
        started,
    )
    return metrics
