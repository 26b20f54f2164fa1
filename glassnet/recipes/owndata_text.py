"""Text for ``glassnet train --data``: a CSV of texts and labels (kind 'text': word ids from a
WordTokenizer fitted on the training texts, padded at the front, an LSTM or Transformer
classifier) and a plain text file (kind 'lm': a character language model trained to predict
the next character from the ones before it; the file is split in order, first 80% train, then
10% validation and 10% test, so no test text is seen in training)."""

from __future__ import annotations

import numpy as np

from glassnet.data import CharTokenizer, WordTokenizer, pad_sequences
from glassnet.data.tables import DataFileError, read_table

CONTEXT = 32  # characters a language model reads to predict the next one
MAX_WINDOWS = 20_000  # training windows of a language model (a stride keeps it fast)


# ---- a CSV of texts and labels ---------------------------------------------------------------
def _text_column(table, path, target, given=None):
    if given:
        if given not in table:
            raise DataFileError(f"{path}: no text column {given!r}", path=path, column=given)
        return given
    features = [c for c in table.columns if c != target]
    texts = [c for c in features if table.kinds[c] == "text"]
    if len(texts) > 1:
        raise DataFileError(
            f"{path}: several free-text columns ({', '.join(texts)}); a text model reads one: "
            "keep one text column and the label",
            path=path,
            column=texts[1],
        )
    if texts:
        return texts[0]
    candidates = [c for c in features if table.kinds[c] in ("categorical", "id")]
    if not candidates:
        raise DataFileError(f"{path}: no text column to read besides the target {target!r}")
    return max(candidates, key=lambda c: len(set(table[c].tolist())))


def _labels(table, path, target):
    from glassnet.recipes.owndata_table import _check_target

    _check_target(table, path, target, "classification")


def _target_of(table, path, target):
    from glassnet.recipes.owndata_table import _target

    return _target(table, path, target)


def inspect(path, target, task, kind):
    if kind == "lm":
        _read_text(path)
        return {"task": "classification", "target": None}
    if task not in (None, "classification"):
        raise DataFileError(f"{path}: a text model here is a classifier (task classification)")
    table = read_table(path)
    target = _target_of(table, path, target)
    _labels(table, path, target)
    _text_column(table, path, target)
    return {"task": "classification", "target": target}


def _texts(table, column):
    return ["" if v is None else str(v) for v in table[column].tolist()]


def _encode(tok, texts, max_len):
    return pad_sequences(
        [tok.encode(t) or [1] for t in texts], maxlen=max_len, padding="pre", truncating="post"
    ).astype(np.int64)


def _fit_text_csv(recipe, seed):
    from glassnet.data.profile import profile_table
    from glassnet.data.profile.report import render_markdown
    from glassnet.recipes.owndata import labels_for, split_indices

    opts = recipe.dataset_options
    path = opts["path"]
    table = read_table(path)
    target = _target_of(table, path, opts.get("target"))
    present = (
        np.array([v is not None for v in table[target].tolist()])
        if table[target].dtype.kind == "O"
        else ~np.isnan(table[target])
    )
    table = table.take(np.flatnonzero(present))
    _labels(table, path, target)
    column = _text_column(table, path, target, opts.get("text_column"))
    y, keys, shown = labels_for("classification", table[target], table.labels.get(target))
    train, val, test = split_indices(table.n_rows, y, seed, recipe.val_fraction)
    texts = _texts(table, column)
    tok = WordTokenizer(lower=True, max_size=20_000).fit([texts[i] for i in train])
    lengths = [len(tok.tokenize(texts[i])) for i in train]
    max_len = int(np.clip(np.percentile(lengths, 95), 4, 128))
    x = _encode(tok, texts, max_len)
    source = {
        "kind": "text",
        "target": target,
        "text_column": column,
        "tokenizer": tok.state_dict(),
        "max_len": max_len,
        "classes": keys,
        "vocab_size": tok.vocab_size,
    }
    profile = profile_table(table.take(train), target=target, task="classification")
    report = render_markdown(path, profile, heading="####").replace(
        "Data report:", "Data report (training split):", 1
    )
    report += (
        f"\n- Text column `{column}`: {tok.vocab_size} tokens in the vocabulary (fitted on the "
        f"training texts), sequences cut or padded to {max_len} words\n"
    )

    def write_extras(run_dir):
        import os

        from glassnet.data.profile import plots

        plots.plot_class_balance(profile["class_balance"], os.path.join(run_dir, "classes.png"))
        return report + "\n![classes](classes.png)\n"

    return {
        "x_train": x[train],
        "y_train": y[train],
        "x_val": x[val],
        "y_val": y[val],
        "x_test": x[test],
        "y_test": y[test],
        "class_names": shown,
        "source": source,
        "input_dtype": "int64",
        "report": report,
        "write_extras": write_extras,
    }


# ---- a plain text file: a character language model -------------------------------------------
def _read_text(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8", path=path
        ) from None
    if not text.strip():
        raise DataFileError(f"{path} is empty: a language model needs text to read", path=path)
    if len(text) < 10 * CONTEXT:
        raise DataFileError(
            f"{path}: {len(text)} characters are too few for a language model (at least "
            f"{10 * CONTEXT})",
            path=path,
        )
    return text


def _windows(ids, context, limit):
    starts = np.arange(0, len(ids) - context)
    if len(starts) > limit:
        starts = starts[:: int(np.ceil(len(starts) / limit))]
    x = np.stack([ids[s : s + context] for s in starts]).astype(np.int64)
    return x, ids[starts + context].astype(np.int64)


def _fit_lm(recipe, seed):
    path = recipe.dataset_options["path"]
    text = _read_text(path)
    n = len(text)
    a, b = int(0.8 * n), int(0.9 * n)
    tok = CharTokenizer().fit([text[:a]])
    ids = np.array(tok.encode(text), dtype=np.int64)
    context = CONTEXT
    x_train, y_train = _windows(ids[:a], context, MAX_WINDOWS)
    x_val, y_val = _windows(ids[a - context : b], context, MAX_WINDOWS // 4)
    x_test, y_test = _windows(ids[b - context :], context, MAX_WINDOWS // 4)
    names = [tok.id_to_token(i) for i in range(tok.vocab_size)]
    source = {
        "kind": "lm",
        "tokenizer": tok.state_dict(),
        "context": context,
        "vocab_size": tok.vocab_size,
    }
    report = (
        f"#### Data report: `{path.rsplit('/', 1)[-1]}` (plain text)\n\n"
        f"- {n} characters, {len(text.splitlines())} lines, {tok.vocab_size} distinct "
        f"characters (with 4 special tokens)\n"
        f"- Split in order: {a} characters train, {b - a} validation, {n - b} test\n"
        f"- The model reads {context} characters and predicts the next one; accuracy is how "
        "often its most likely next character is right (perplexity = exp(loss))\n"
    )
    return {
        "x_train": x_train,
        "y_train": y_train,
        "x_val": x_val,
        "y_val": y_val,
        "x_test": x_test,
        "y_test": y_test,
        "class_names": names,
        "source": source,
        "input_dtype": "int64",
        "report": report,
    }


def fit(recipe, seed):
    if recipe.dataset_options.get("kind") == "lm":
        return _fit_lm(recipe, seed)
    return _fit_text_csv(recipe, seed)


# ---- new files for evaluate and predict ------------------------------------------------------
def _tokenizer(source):
    cls = CharTokenizer if source["kind"] == "lm" else WordTokenizer
    return cls().load_state_dict(source["tokenizer"])


def labelled(source, path):
    tok = _tokenizer(source)
    if source["kind"] == "lm":
        ids = np.array(tok.encode(_read_text(path)), dtype=np.int64)
        return _windows(ids, source["context"], MAX_WINDOWS)
    from glassnet.recipes.owndata_table import _targets

    table = read_table(path)
    for c in (source["text_column"], source["target"]):
        if c not in table:
            raise DataFileError(f"{path}: no column {c!r}", path=path, column=c)
    y, _, _ = _targets("classification", table, source["target"], source["classes"])
    return _encode(tok, _texts(table, source["text_column"]), source["max_len"]), y


def inputs(source, path):
    tok = _tokenizer(source)
    if source["kind"] == "lm":
        ids = np.array(tok.encode(_read_text(path)), dtype=np.int64)
        return ids[-source["context"] :][None]
    table = read_table(path)
    column = source["text_column"]
    if column not in table:
        raise DataFileError(f"{path}: no text column {column!r}", path=path, column=column)
    return _encode(tok, _texts(table, column), source["max_len"])


def generate(run, path, length=200, temperature=0.8, seed=0):
    """The last characters of the file at ``path`` continued by ``length`` characters sampled
    from the run's language model (seeded, so the same call gives the same text)."""
    import glassnet
    from glassnet.grad_mode import no_grad

    source = run.preprocessing.source
    tok = _tokenizer(source)
    with open(path, encoding="utf-8") as f:
        prompt = f.read()
    ids = [i for i in tok.encode(prompt)][-source["context"] :] or [1]
    rng = np.random.default_rng(seed)
    device = next(iter(run.model.parameters())).device
    out = []
    with no_grad():
        for _ in range(length):
            window = np.array(ids[-source["context"] :], dtype=np.int64)[None]
            logits = run.model(glassnet.from_numpy(window).to(device)).numpy()[0].astype(np.float64)
            logits[:4] = -np.inf  # never the special tokens
            p = np.exp((logits - logits.max()) / temperature)
            p /= p.sum()
            nxt = int(rng.choice(len(p), p=p))
            ids.append(nxt)
            out.append(nxt)
    return prompt[-source["context"] :] + tok.decode(out)
