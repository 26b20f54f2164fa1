"""Image folders for ``glassnet train --data FOLDER``: one sub-folder per class, images of any
size resized to one size, scaled to [0, 1] and normalised per channel with the training
split's mean and standard deviation. A file that does not decode stops training with a line
naming it."""

from __future__ import annotations

import os

import numpy as np

from glassnet.data.profile.images import load_image, scan_image_folder
from glassnet.data.tables import DataFileError
from glassnet.datasets.images import IMAGE_EXTENSIONS

CIFAR10_CLASSES = "airplane automobile bird cat deer dog frog horse ship truck".split()


def file_set(root):
    """``(images uint8 (n, C, H, W), labels, class names)`` when ``root`` holds an MNIST-style
    IDX pair (``*images-idx3-ubyte*`` with ``*labels-idx1-ubyte*``) or CIFAR-10 binary batches
    (``*_batch*.bin``), read with glassnet.datasets' readers and put together; else None."""
    import glob

    from glassnet.datasets.images import read_cifar10, read_mnist

    names = sorted(os.listdir(root))
    images = [n for n in names if "images-idx3-ubyte" in n or "images.idx3-ubyte" in n]
    if images:
        xs, ys = [], []
        for name in images:
            label = name.replace("images", "labels").replace("idx3", "idx1")
            if label not in names:
                raise DataFileError(
                    f"{os.path.join(root, name)}: no labels file {label} next to it"
                )
            x, y = read_mnist(os.path.join(root, name), os.path.join(root, label))
            xs.append(x[:, None])
            ys.append(y)
        y = np.concatenate(ys)
        return np.concatenate(xs), y, [str(i) for i in range(int(y.max()) + 1)]
    batches = sorted(glob.glob(os.path.join(root, "*_batch*.bin")))
    if batches:
        parts = [read_cifar10(b) for b in batches]
        y = np.concatenate([p[1] for p in parts])
        return np.concatenate([p[0] for p in parts]), y, list(CIFAR10_CLASSES[: int(y.max()) + 1])
    return None


def _scan(root):
    classes, samples, bad = scan_image_folder(root)
    if bad:
        path, why = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise DataFileError(
            f"{path}: does not decode as an image ({why}){more}; remove or replace it and "
            "train again",
            path=path,
        )
    if len(classes) < 2:
        raise DataFileError(
            f"{root}: {len(classes)} class folder{'s' * (len(classes) != 1)}; an image "
            "classifier needs at least two (root/<class>/<image files>)",
            path=root,
        )
    counts = np.bincount([i for _, i in samples], minlength=len(classes))
    empty = [c for c, n in zip(classes, counts) if n == 0]
    if empty:
        raise DataFileError(f"{root}: class folder {empty[0]!r} holds no images", path=root)
    return classes, samples


def inspect(path, target, task, kind):
    if task not in (None, "classification"):
        raise DataFileError(f"{path}: an image folder trains a classifier (task classification)")
    if file_set(path) is None:
        _scan(path)
    return {"task": "classification", "target": None}


def _size_and_mode(samples):
    from glassnet._optional import require

    image_module = require("PIL.Image", "data")
    sides, grey = [], True
    for p, _ in samples:
        with image_module.open(p) as img:
            sides.append(min(img.size))
            grey = grey and img.mode in ("L", "1", "LA", "I", "I;16")
    side = int(np.clip(np.median(sides), 16, 64)) // 4 * 4
    return [side, side], "L" if grey else "RGB"


def _load(paths, size, mode):
    images = [load_image(p, size, mode) for p in paths]
    return np.stack(images).transpose(0, 3, 1, 2).astype(np.float32)  # (n, C, H, W)


def _normalise(x, source):
    mean = np.asarray(source["mean"], np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(source["std"], np.float32).reshape(1, -1, 1, 1)
    return (x - mean) / std


def fit(recipe, seed):
    from glassnet.data.profile.images import image_folder_report
    from glassnet.recipes.owndata import split_indices

    root = recipe.dataset_options["path"]
    files = file_set(root)
    if files is not None:
        return _fit_file_set(recipe, seed, root, *files)
    classes, samples = _scan(root)
    auto_size, mode = _size_and_mode(samples)
    size = recipe.dataset_options.get("image_size")
    size = [size, size] if isinstance(size, int) else list(size or auto_size)
    y = np.array([i for _, i in samples], dtype=np.int64)
    train, val, test = split_indices(len(samples), y, seed, recipe.val_fraction)
    x = _load([p for p, _ in samples], size, mode)
    mean = x[train].mean(axis=(0, 2, 3))
    std = x[train].std(axis=(0, 2, 3))
    std = np.where(std > 1e-6, std, 1.0)
    source = {
        "kind": "images",
        "size": size,
        "mode": mode,
        "mean": mean.tolist(),
        "std": std.tolist(),
        "classes": classes,
    }
    x = _normalise(x, source)
    suffix = (
        f"\n- Images resized to {size[1]}x{size[0]} ({mode}), normalised per channel with the "
        "training split's mean and standard deviation\n"
    )
    text = image_folder_report(root, None, plots=False, heading="####").markdown + suffix

    def write_extras(run_dir):
        return image_folder_report(root, run_dir, heading="####").markdown + suffix

    return {
        "x_train": x[train],
        "y_train": y[train],
        "x_val": x[val],
        "y_val": y[val],
        "x_test": x[test],
        "y_test": y[test],
        "class_names": classes,
        "source": source,
        "report": text,
        "write_extras": write_extras,
    }


def _fit_file_set(recipe, seed, root, images, y, classes):
    from glassnet.data.profile import plots
    from glassnet.recipes.owndata import split_indices

    train, val, test = split_indices(len(y), y, seed, recipe.val_fraction)
    x = images.astype(np.float32) / 255.0
    mean, std = x[train].mean(axis=(0, 2, 3)), x[train].std(axis=(0, 2, 3))
    source = {
        "kind": "images",
        "size": list(x.shape[2:]),
        "mode": "L" if x.shape[1] == 1 else "RGB",
        "mean": mean.tolist(),
        "std": np.where(std > 1e-6, std, 1.0).tolist(),
        "classes": classes,
    }
    x = _normalise(x, source)
    counts = {c: int(n) for c, n in zip(classes, np.bincount(y, minlength=len(classes)))}
    report = (
        f"#### Data report: `{os.path.basename(os.path.normpath(root))}` (image files)\n\n"
        f"- {len(y)} images of {x.shape[2]}x{x.shape[3]}, {x.shape[1]} channel(s), "
        f"{len(classes)} classes\n\n| class | images |\n| --- | --- |\n"
        + "".join(f"| {c} | {n} |\n" for c, n in counts.items())
    )

    def write_extras(run_dir):
        plots.plot_class_balance(counts, os.path.join(run_dir, "classes.png"))
        return report + "\n![classes](classes.png)\n"

    return {
        "x_train": x[train],
        "y_train": y[train],
        "x_val": x[val],
        "y_val": y[val],
        "x_test": x[test],
        "y_test": y[test],
        "class_names": classes,
        "source": source,
        "report": report,
        "write_extras": write_extras,
    }


def _files(path):
    if os.path.isfile(path):
        return [path]
    out = []
    for dirpath, _, files in sorted(os.walk(path)):
        out += [
            os.path.join(dirpath, f) for f in sorted(files) if f.lower().endswith(IMAGE_EXTENSIONS)
        ]
    if not out:
        raise DataFileError(f"{path}: no image files ({', '.join(IMAGE_EXTENSIONS)})", path=path)
    return out


def _decode(source, paths):
    for p in paths:
        try:
            load_image(p)
        except Exception as exc:
            raise DataFileError(f"{p}: does not decode as an image ({exc})", path=p) from None
    return _normalise(_load(paths, source["size"], source["mode"]), source)


def labelled(source, path):
    files = file_set(path) if os.path.isdir(path) else None
    if files is not None:
        images, y, _ = files
        return _normalise(images.astype(np.float32) / 255.0, source), y
    if not os.path.isdir(path):
        raise DataFileError(f"{path}: evaluation needs a folder of class folders of images")
    classes, samples = _scan(path)
    known = {c: i for i, c in enumerate(source["classes"])}
    unseen = [c for c in classes if c not in known]
    if unseen:
        raise DataFileError(
            f"{path}: class folder {unseen[0]!r} is not a class the run was trained on "
            f"({', '.join(source['classes'])})",
            path=path,
        )
    y = np.array([known[classes[i]] for _, i in samples], dtype=np.int64)
    return _decode(source, [p for p, _ in samples]), y


def inputs(source, path):
    """An image file, or every image under a folder, as normalised model inputs."""
    return _decode(source, _files(path))
