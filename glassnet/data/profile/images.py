"""The data report of an image folder (``root/<class>/<image>``): images per class, image
sizes, files that do not decode, and a grid of sample images per class."""

from __future__ import annotations

import os

import numpy as np

from glassnet._optional import require


def scan_image_folder(root):
    """``(classes, samples, bad)``: sorted class names, ``[(path, class index)]`` and the
    ``[(path, reason)]`` of files that are not readable images."""
    from glassnet.datasets.images import IMAGE_EXTENSIONS

    image_module = require("PIL.Image", "data")
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
    samples, bad = [], []
    for i, c in enumerate(classes):
        for dirpath, _, files in sorted(os.walk(os.path.join(root, c))):
            for f in sorted(files):
                if not f.lower().endswith(tuple(IMAGE_EXTENSIONS)):
                    continue
                p = os.path.join(dirpath, f)
                try:
                    with image_module.open(p) as img:
                        img.verify()
                    samples.append((p, i))
                except Exception as exc:  # PIL raises many kinds for a broken file
                    bad.append((p, f"{type(exc).__name__}: {exc}"))
    return classes, samples, bad


def load_image(path, size=None, mode="RGB"):
    """An image as float32 (H, W, C) in [0, 1], resized to ``size`` (h, w) when given."""
    image_module = require("PIL.Image", "data")
    with image_module.open(path) as img:
        img = img.convert(mode)
        if size is not None:
            img = img.resize((size[1], size[0]), image_module.BILINEAR)
        a = np.asarray(img, dtype=np.float32) / 255.0
    return a[..., None] if a.ndim == 2 else a


def image_folder_report(root, out_dir=None, *, plots=True, heading="#"):
    from glassnet.data.profile.report import REPORT_NAME, DataReport
    from glassnet.data.tables import DataFileError

    classes, samples, bad = scan_image_folder(root)
    if not classes:
        raise DataFileError(
            f"{root}: no class sub-folders; an image folder holds root/<class name>/<images>",
            path=root,
        )
    counts = {c: 0 for c in classes}
    sizes = {}
    image_module = require("PIL.Image", "data")
    for p, i in samples:
        counts[classes[i]] += 1
        with image_module.open(p) as img:
            sizes[img.size] = sizes.get(img.size, 0) + 1
    profile = {
        "rows": len(samples),
        "classes": classes,
        "class_balance": counts,
        "sizes": {f"{w}x{h}": n for (w, h), n in sorted(sizes.items())},
        "unreadable": [p for p, _ in bad],
    }
    lines = [
        f"Data report: {root} (image folder)",
        f"  Images: {len(samples)}  Classes: {len(classes)}",
    ]
    lines.append("  Class balance: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    lines.append(
        "  Sizes (width x height): " + ", ".join(f"{k} ({v})" for k, v in profile["sizes"].items())
    )
    for p, why in bad:
        lines.append(f"  - {p}: does not decode as an image ({why}); it is left out")
    pictures = []
    if out_dir is not None and plots:
        from glassnet.data.profile import plots as pl

        os.makedirs(out_dir, exist_ok=True)
        pl.plot_class_balance(counts, os.path.join(out_dir, "classes.png"))
        by_class = {c: [] for c in classes}
        for p, i in samples:
            if len(by_class[classes[i]]) < 6:
                by_class[classes[i]].append(load_image(p, (48, 48)).squeeze())
        pl.plot_samples(by_class, os.path.join(out_dir, "samples.png"))
        pictures = ["classes.png", "samples.png"]
    md = [f"{heading} Data report: `{os.path.basename(os.path.normpath(root))}` (image folder)", ""]
    md += [
        f"- Images: {len(samples)}, classes: {len(classes)}",
        "- Sizes (width x height): " + ", ".join(f"{k} ({v})" for k, v in profile["sizes"].items()),
        "",
        "| class | images |",
        "| --- | --- |",
    ]
    md += [f"| {k} | {v} |" for k, v in counts.items()]
    if bad:
        md += ["", f"{heading}# Checks", ""] + [
            f"- `{os.path.basename(p)}` does not decode: left out" for p, _ in bad
        ]
    if pictures:
        md += [""] + [f"![{n.rsplit('.', 1)[0]}]({n})" for n in pictures]
    markdown = "\n".join(md) + "\n"
    if out_dir is not None:
        from glassnet.report.files import write_text

        os.makedirs(out_dir, exist_ok=True)
        write_text(os.path.join(out_dir, REPORT_NAME), markdown)
    return DataReport(root, profile, "\n".join(lines), markdown, pictures)
