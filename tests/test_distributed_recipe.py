"""``glassnet train RECIPE --nproc N``: data-parallel recipe training on N local MPI ranks."""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import glassnet
from glassnet.distributed import launch

try:
    launch.find_mpiexec()
    HAVE_MPIEXEC = True
except launch.LaunchError:
    HAVE_MPIEXEC = False

pytestmark = pytest.mark.skipif(
    not HAVE_MPIEXEC, reason="mpiexec is missing (install the [dist] extra: mpi4py and mpich)"
)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def glassnet_cli(*args, timeout=180):
    env = dict(os.environ, PYTHONPATH=ROOT, OPENBLAS_NUM_THREADS="1")
    return subprocess.run(
        [sys.executable, "-m", "glassnet", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,  # a hung job fails the test instead of hanging the suite
    )


def test_nproc_writes_a_normal_run_folder(tmp_path):
    out = str(tmp_path / "run")
    done = glassnet_cli("train", "xor-mlp", "--nproc", "2", "--epochs", "3", "--out", out)
    assert done.returncode == 0, done.stderr
    # rank 0 alone prints: one announcement, one progress line per epoch, one result block
    assert done.stdout.count("Training xor-mlp") == 1
    assert done.stdout.count("Epoch 3/3") == 1
    assert done.stdout.count("Test results") == 1
    config = json.load(open(os.path.join(out, "config.json")))
    assert config["nproc"] == 2
    # the weights carry the plain model's names (no DDP 'module.' prefix), so the run loads
    keys = list(glassnet.load(os.path.join(out, "model.safetensors")))
    assert keys and not any(k.startswith("module.") for k in keys)
    evaluated = glassnet_cli("evaluate", out)
    assert evaluated.returncode == 0, evaluated.stderr
    metrics = json.load(open(os.path.join(out, "metrics.json")))
    # evaluate recomputes the test split's metrics from the saved weights: the same numbers
    assert f"{100 * metrics['accuracy']:.2f}%" in evaluated.stdout
    assert f"{metrics['loss']:.4f}" in evaluated.stdout
    history = open(os.path.join(out, "history.csv")).read().splitlines()
    assert len(history) == 1 + 3  # a header and one row per epoch


def test_a_refusal_on_rank_zero_ends_the_job(tmp_path):
    out = str(tmp_path / "run")
    os.makedirs(out)
    first = glassnet_cli("train", "xor-mlp", "--nproc", "2", "--epochs", "1", "--out", out)
    assert first.returncode == 0, first.stderr
    again = glassnet_cli("train", "xor-mlp", "--nproc", "2", "--epochs", "1", "--out", out)
    assert again.returncode != 0
    assert "already holds a finished run" in again.stderr
    assert "glassnet train --nproc 2: a process failed" in again.stderr


def _torch_twin(model):
    layers = []
    for module in model:
        name = type(module).__name__
        if name == "Linear":
            layers.append(torch.nn.Linear(module.in_features, module.out_features))
        elif name == "Tanh":
            layers.append(torch.nn.Tanh())
        else:
            raise AssertionError(f"no twin for {name}")
    twin = torch.nn.Sequential(*layers)
    twin.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in model.state_dict().items()})
    return twin


def test_two_ranks_equal_one_process_on_the_global_batch(tmp_path):
    """Per-rank batch B on 2 ranks is one SGD step on the global batch of 2B: the union of the
    two ranks' batches, each rank's share being DistributedSampler's (seed + epoch) shuffle,
    padded and strided by rank. The oracle replays those global batches in PyTorch from the
    same initial weights."""
    from glassnet.recipes import get
    from glassnet.recipes.prepare import prepare
    from glassnet.recipes.runner import build

    recipe = get("xor-mlp").replace(optimizer="sgd", lr=0.05, batch_size=8, epochs=2)
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(recipe.to_dict()))
    out = str(tmp_path / "run")
    done = glassnet_cli("train", str(path), "--nproc", "2", "--out", out, "--no-doctor")
    assert done.returncode == 0, done.stderr
    trained = glassnet.load(os.path.join(out, "model.safetensors"))

    # the runner's own start: the seed, the data, then the model's initial weights
    glassnet.manual_seed(recipe.seed)
    data = prepare(recipe, warn=False)
    model = build(recipe, data.preprocessing, data.num_outputs)
    twin = _torch_twin(model)
    x, y = (torch.from_numpy(np.asarray(t)) for t in data.train.dataset.tensors)
    opt = torch.optim.SGD(twin.parameters(), lr=recipe.lr, momentum=0.9)  # the recipe's SGD
    n, world, b = len(x), 2, recipe.batch_size
    total = math.ceil(n / world) * world
    steps = 0
    for epoch in range(recipe.epochs):
        order = np.random.default_rng(recipe.seed + epoch).permutation(n).tolist()
        order += order[: total - n]
        shards = [order[r:total:world] for r in range(world)]
        for k in range(0, len(shards[0]), b):
            # every rank's batch has the same size, so the mean of the ranks' mean gradients
            # (DDP's average) is the gradient of the mean loss over their union
            idx = shards[0][k : k + b] + shards[1][k : k + b]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(twin(x[idx]), y[idx].reshape(-1)).backward()
            opt.step()
            steps += 1
    assert steps == recipe.epochs * math.ceil(total / world / b)
    for key, ref in twin.state_dict().items():
        # float32 through ~{steps} SGD steps: the two sides differ only in the order of float32
        # sums (matmuls, the ranks' gradient average vs one mean), ~1e-7 relative per step,
        # carried by momentum; 1e-5 absolute on weights of order 1 leaves a wide margin while
        # one wrong batch (or one skipped step) moves weights by ~lr * |grad| ~ 1e-3.
        np.testing.assert_allclose(trained[key].numpy(), ref.numpy(), rtol=1e-4, atol=1e-5)
    initial = {k: v.numpy() for k, v in model.state_dict().items()}
    assert any(np.abs(trained[k].numpy() - initial[k]).max() > 1e-3 for k in initial)
