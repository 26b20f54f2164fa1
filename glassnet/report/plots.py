"""The pictures of a run report: training curves and, for classifiers, the confusion matrix.

matplotlib is imported only here and only when a picture is drawn (``pip install
'glassnet[viz]'``); figures are drawn without pyplot, so no display is ever needed.

>>> import os, tempfile
>>> import numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "confusion.png")
>>> plot_confusion(np.array([[5, 1], [0, 4]]), ["cat", "dog"], path)
>>> open(path, "rb").read(8) == PNG_SIGNATURE
True
"""

from __future__ import annotations

import numpy as np

from glassnet._optional import require

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def plot_curves(history, path) -> None:
    """Loss and each metric per epoch, training against validation (History.plot)."""
    history.plot(path)


def plot_confusion(matrix, class_names, path, title="Confusion matrix (test data)") -> None:
    """A heat map of ``matrix`` (rows: true class, columns: predicted) with the counts written
    in the cells, saved to ``path``."""
    require("matplotlib", "viz")
    from matplotlib.figure import Figure

    matrix = np.asarray(matrix)
    k = matrix.shape[0]
    names = (
        list(class_names) if class_names and len(class_names) == k else [str(i) for i in range(k)]
    )
    side = max(3.5, 0.5 * k + 2.0)
    fig = Figure(figsize=(side + 1.0, side))
    ax = fig.subplots()
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(k), labels=names, rotation=45 if max(map(len, names)) > 3 else 0)
    ax.set_yticks(range(k), labels=names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    threshold = matrix.max() / 2 if matrix.size else 0
    for i in range(k):
        for j in range(k):
            ax.text(
                j,
                i,
                str(int(matrix[i, j])),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if matrix[i, j] > threshold else "black",
            )
    fig.tight_layout()
    fig.savefig(path)
