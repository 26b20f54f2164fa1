"""What the Transformer training programs share: seeding, mini-batches, an AdamW loop step,
the report file and the weights."""

from __future__ import annotations

import os
import time

import numpy as np

import glassnet
from glassnet import report
from glassnet.report.files import write_text


def start(seed: int):
    """Seed glassnet and return a NumPy generator for the data, with the start time."""
    glassnet.manual_seed(seed)
    return np.random.default_rng(seed), time.perf_counter()


def batches(n: int, batch_size: int, rng):
    """Shuffled index batches covering ``n`` examples once."""
    order = rng.permutation(n)
    for i in range(0, n, batch_size):
        yield order[i : i + batch_size]


def step(opt, loss) -> float:
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss.item())


def say(progress: bool, message: str) -> None:
    if progress:
        print(message, flush=True)


def _fmt(v):
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def write_report(run_dir, title: str, intro: str, metrics: dict, sections, started) -> None:
    """report.md: the title, what was trained, the test metrics as a table, then sections
    (heading, markdown text) such as samples, examples and pictures."""
    lines = [f"# {title}", "", intro, "", "## Test metrics", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in metrics.items()]
    for heading, text in sections:
        lines += ["", f"## {heading}", "", text]
    lines += ["", f"Wall time: {time.perf_counter() - started:.1f} s", ""]
    write_text(os.path.join(run_dir, report.REPORT), "\n".join(lines))


def save_weights(run_dir, model, tokenizer=None) -> None:
    """``model.safetensors`` (the state_dict, as every run folder has it) and a
    ``pretrained/`` folder that Hugging Face's from_pretrained reads (with tokenizer.json)."""
    glassnet.save(model.state_dict(), os.path.join(run_dir, report.MODEL))
    if hasattr(model, "save_pretrained"):
        folder = os.path.join(run_dir, "pretrained")
        model.save_pretrained(folder)
        if tokenizer is not None:
            tokenizer.save(os.path.join(folder, "tokenizer.json"))


def picture(run_dir, name, draw) -> str:
    """Draw a PNG (needs matplotlib); the markdown line that shows it, or why it is missing."""
    try:
        draw(os.path.join(run_dir, name))
        return f"![{name}]({name})"
    except ImportError as exc:
        return f"({name} was not drawn: {exc})"
