"""A data report for a file or folder: the numbers (analysis.profile_table, or an image
folder's classes and sizes), a text for the terminal, a Markdown page and PNG pictures.

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> path = os.path.join(folder, "d.csv")
>>> _ = open(path, "w").write("x,y\\n1,a\\n2,b\\n2,b\\n,a\\n")
>>> r = data_report(path, target="y", out_dir=os.path.join(folder, "report"), plots=False)
>>> r.profile["duplicate_rows"], r.profile["missing"]["x"]
(1, 1)
>>> "Duplicate rows: 1" in r.text
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from glassnet.data.profile.analysis import pearson, profile_table

REPORT_NAME = "data_report.md"


@dataclass
class DataReport:
    """The numbers (``profile``), the terminal text, the Markdown and the pictures written."""

    source: str
    profile: dict
    text: str
    markdown: str
    pictures: list = field(default_factory=list)


def _fmt(v):
    return "-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def _checks(p) -> list:
    """The warnings a beginner should read before training."""
    out = []
    for c in p.get("all_missing", []):
        out.append(f"column {c!r} has no values at all (every row is missing): drop it")
    for c in p.get("constant", []):
        if c not in p.get("all_missing", []):
            out.append(f"column {c!r} is constant: it cannot help a model")
    for a, b in p.get("duplicate_columns", []):
        out.append(f"columns {a!r} and {b!r} are identical")
    if p.get("duplicate_rows"):
        out.append(f"{p['duplicate_rows']} rows repeat an earlier row exactly")
    for c in p.get("id_columns", []):
        out.append(f"column {c!r} looks like an ID (a distinct value per row): it is left out")
    for c in p.get("equals_target", []):
        out.append(
            f"leakage: column {c!r} equals the target {p['target']!r} (under other labels): a "
            "model would learn nothing usable; drop it"
        )
    if p.get("test_rows_in_train"):
        out.append(f"leakage: {p['test_rows_in_train']} test rows also appear in the training rows")
    counts = p.get("class_balance") or {}
    if counts and len(counts) > 1 and max(counts.values()) >= 5 * min(counts.values()):
        out.append("classes are imbalanced (largest at least 5 times the smallest)")
    return out + list(p.get("notes", []))


def render_text(source, p) -> str:
    """The report for the terminal."""
    lines = [f"Data report: {source}", f"  Rows: {p['rows']}  Columns: {p['columns']}"]
    if p.get("target") is not None:
        lines.append(f"  Target: {p['target']} (task: {p.get('task')})")
    lines.append(f"  Duplicate rows: {p['duplicate_rows']}")
    lines.append("")
    head = f"  {'column':<20} {'kind':<12} {'missing':>8} {'outliers':>8}  association"
    lines.append(head)
    for c, kind in p["kinds"].items():
        assoc = (p.get("association") or {}).get(c)
        shown = f"{assoc['method']} {assoc['value']:+.3f}" if assoc else ""
        out = p["outliers"].get(c)
        lines.append(
            f"  {c[:20]:<20} {kind:<12} {p['missing'][c]:>8} {_fmt(out):>8}  {shown}".rstrip()
        )
    if p.get("class_balance"):
        lines += [
            "",
            "  Class balance: " + ", ".join(f"{k} {v}" for k, v in p["class_balance"].items()),
        ]
    checks = _checks(p)
    if checks:
        lines += ["", "  Checks:"] + [f"  - {c}" for c in checks]
    return "\n".join(lines)


def render_markdown(source, p, pictures=(), heading="#") -> str:
    """The report as Markdown (``heading`` '##' nests it inside a run report)."""
    lines = [f"{heading} Data report: `{os.path.basename(source)}`", ""]
    lines.append(f"- Rows: {p['rows']}, columns: {p['columns']}")
    if p.get("target") is not None:
        lines.append(f"- Target: `{p['target']}` (task: {p.get('task')})")
    lines.append(f"- Duplicate rows: {p['duplicate_rows']}")
    lines += ["", "| column | kind | missing | outliers (robust z > 3.5) | association |"]
    lines.append("| --- | --- | --- | --- | --- |")
    for c, kind in p["kinds"].items():
        assoc = (p.get("association") or {}).get(c)
        shown = f"{assoc['method']} {assoc['value']:+.3f}" if assoc else ""
        lines.append(
            f"| {c} | {kind} | {p['missing'][c]} | {_fmt(p['outliers'].get(c))} | {shown} |"
        )
    if p.get("class_balance"):
        lines += ["", f"{heading}# Class balance", "", "| class | samples |", "| --- | --- |"]
        lines += [f"| {k} | {v} |" for k, v in p["class_balance"].items()]
    checks = _checks(p)
    if checks:
        lines += ["", f"{heading}# Checks", ""] + [f"- {c}" for c in checks]
    if pictures:
        lines += [""] + [f"![{name.rsplit('.', 1)[0]}]({name})" for name in pictures]
    return "\n".join(lines) + "\n"


def _table_pictures(table, p, out_dir) -> list:
    from glassnet.data.profile import plots

    pictures = []
    numeric = [c for c in table.columns if table.kinds.get(c) in ("numeric", "boolean")]
    if numeric:
        plots.plot_histograms(
            {c: table[c] for c in numeric[:16]}, os.path.join(out_dir, "histograms.png")
        )
        pictures.append("histograms.png")
    if p.get("class_balance"):
        plots.plot_class_balance(p["class_balance"], os.path.join(out_dir, "classes.png"))
        pictures.append("classes.png")
    if len(numeric) >= 2:
        names = numeric[:30]
        matrix = np.array(
            [[pearson(table[a], table[b]) if a != b else 1.0 for b in names] for a in names],
            dtype=object,
        )
        matrix = np.where(matrix == None, np.nan, matrix).astype(np.float64)  # noqa: E711
        plots.plot_correlation(names, matrix, os.path.join(out_dir, "correlation.png"))
        pictures.append("correlation.png")
    return pictures


def data_report(path, target=None, out_dir=None, *, task=None, plots=True, heading="#"):
    """The DataReport of a table file or an image folder; with ``out_dir`` the Markdown
    (``data_report.md``) and the pictures are written there."""
    path = os.fspath(path)
    if os.path.isdir(path):
        from glassnet.data.profile.images import image_folder_report

        return image_folder_report(path, out_dir, plots=plots, heading=heading)
    if path.lower().endswith(".txt") and target is None:
        return text_file_report(path, out_dir, heading=heading)
    from glassnet.data.tables import read_table

    table = read_table(path)
    if target is not None and target not in table:
        from glassnet.data.tables import TableError

        raise TableError(
            f"{path}: no column {target!r}; the columns are {', '.join(table.columns)}",
            path=path,
            column=target,
        )
    p = profile_table(table, target=target, task=task)
    pictures = []
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        if plots:
            pictures = _table_pictures(table, p, out_dir)
    md = render_markdown(path, p, pictures, heading=heading)
    if out_dir is not None:
        from glassnet.report.files import write_text

        write_text(os.path.join(out_dir, REPORT_NAME), md)
    return DataReport(path, p, render_text(path, p), md, pictures)


def text_file_report(path, out_dir=None, heading="#"):
    """The report of a plain text file (what a language model would read): characters,
    lines, words, distinct characters and the most common ones."""
    from glassnet.data.tables import DataFileError

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path}: not UTF-8 text (byte {exc.start})", path=path) from None
    except OSError as exc:
        raise DataFileError(f"{path}: {exc.strerror or exc}", path=path) from None
    counts = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    profile = {
        "characters": len(text),
        "lines": len(text.splitlines()),
        "words": len(text.split()),
        "distinct_characters": len(counts),
        "most_common": [[c, n] for c, n in top],
    }
    shown = ", ".join(f"{c!r} {n}" for c, n in top)
    body = [
        f"Characters: {profile['characters']}, lines: {profile['lines']}, words: "
        f"{profile['words']}, distinct characters: {profile['distinct_characters']}",
        f"Most common characters: {shown}",
    ]
    text_out = f"Data report: {path} (plain text)\n" + "\n".join(f"  {b}" for b in body)
    md = f"{heading} Data report: `{os.path.basename(path)}` (plain text)\n\n"
    md += "\n".join(f"- {b}" for b in body) + "\n"
    if out_dir is not None:
        from glassnet.report.files import write_text

        os.makedirs(out_dir, exist_ok=True)
        write_text(os.path.join(out_dir, REPORT_NAME), md)
    return DataReport(path, profile, text_out, md, [])
