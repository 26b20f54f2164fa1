"""Your own images and text through the workflow: an image folder (and a folder of MNIST IDX
files), a CSV of texts and labels, a plain text file -> glassnet train --data -> run folder ->
predict / evaluate on new files; an image that does not decode is one line and exit 2."""

import os

import numpy as np
import pytest

from glassnet.cli import main
from glassnet.report import folder_state


def _train(args, tmp_path, name="run"):
    out = str(tmp_path / name)
    return main(["train", *args, "--out", out]), out


def _images(root, n=8):
    from PIL import Image

    rng = np.random.default_rng(0)
    for c, colour in (("blue", (20, 20, 220)), ("red", (220, 20, 20))):
        os.makedirs(root / c, exist_ok=True)
        for i in range(n):
            w, h = int(rng.integers(14, 30)), int(rng.integers(14, 30))
            pixels = np.clip(rng.normal(colour, 30, size=(h, w, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / c / f"{i}.png")


@pytest.mark.parametrize("model", [None, "mlp", pytest.param("resnet18", marks=pytest.mark.slow)])
def test_image_folder_to_predict(tmp_path, capsys, model):
    root = tmp_path / "colours"
    _images(root)
    chosen = ["--model", model] if model else []
    code, out = _train(["--data", str(root), "--epochs", "2", *chosen], tmp_path)
    assert code == 0 and f"model {model or 'small_cnn'}" in capsys.readouterr().out
    assert os.path.isfile(os.path.join(out, "samples.png"))
    assert main(["predict", out, str(root / "red" / "0.png")]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2
    assert main(["evaluate", out, "--data", str(root)]) == 0


def _reviews(path, n=60):
    rng = np.random.default_rng(0)
    words = {"pos": ["good", "great", "lovely"], "neg": ["bad", "awful", "dull"]}
    lines = ["review,label"]
    for i in range(n):
        label = ["pos", "neg"][i % 2]
        ws = [*rng.choice(words[label], 2), *rng.choice(["the", "film", "was", "plot"], 3)]
        lines.append(" ".join(ws) + "," + label)
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.parametrize("model", ["text_lstm", "text_transformer"])
def test_text_csv_to_predict(tmp_path, capsys, model):
    data = _reviews(tmp_path / "reviews.csv")
    code, out = _train(["--data", data, "--model", model, "--epochs", "2"], tmp_path)
    assert code == 0 and f"model {model}" in capsys.readouterr().out
    new = tmp_path / "new.csv"
    new.write_text("review\ngood great film\nan unknown word\n")
    assert main(["predict", out, str(new)]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3
    from glassnet.recipes.owndata import inputs_from_records, read_input_file
    from glassnet.recipes.runner import load_run

    run = load_run(out)
    texts = ["good great film", "an unknown word"]
    np.testing.assert_array_equal(inputs_from_records(run, texts), read_input_file(run, str(new)))


def test_plain_text_language_model(tmp_path, capsys):
    text = tmp_path / "story.txt"
    text.write_text("the cat sat on the mat. " * 40)
    code, out = _train(["--data", str(text), "--epochs", "1"], tmp_path)
    assert code == 0 and "lm" in capsys.readouterr().out
    assert main(["predict", out, str(text)]) == 0
    generated = capsys.readouterr().out.rstrip("\n")
    assert len(generated) == 32 + 200  # the prompt's last 32 characters, then 200 new ones


def test_image_that_does_not_decode(tmp_path, capsys):
    root = tmp_path / "colours"
    _images(root, n=3)
    (root / "red" / "broken.png").write_bytes(b"not an image")
    code, out = _train(["--data", str(root), "--epochs", "1"], tmp_path)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "broken.png: does not decode" in err
    assert folder_state(out) == "missing"


def test_mnist_file_set_folder(tmp_path, capsys):
    """A folder holding MNIST-style IDX files trains through the existing reader."""
    from glassnet.datasets import write_idx

    rng = np.random.default_rng(0)
    y = np.arange(40) % 2
    x = np.zeros((40, 28, 28), dtype=np.uint8)
    x[y == 1, :, :14] = 255  # class 1: the left half lit
    x = np.clip(x + rng.integers(0, 40, x.shape), 0, 255).astype(np.uint8)
    root = tmp_path / "digits"
    root.mkdir()
    write_idx(root / "train-images-idx3-ubyte", x)
    write_idx(root / "train-labels-idx1-ubyte", y.astype(np.uint8))
    code, out = _train(["--data", str(root), "--epochs", "1"], tmp_path)
    assert code == 0 and "images" in capsys.readouterr().out
    assert main(["evaluate", out, "--data", str(root)]) == 0
