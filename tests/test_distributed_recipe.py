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
    proc = subprocess.Popen(
        [sys.executable, "-m", "glassnet", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # A hung job fails the test instead of hanging the suite, and its ranks go with it:
        # they sit in process groups of their own under mpiexec, so killing the CLI alone
        # would leave them spinning in a collective for the rest of the run.
        _kill_all([*_descendants(proc.pid), proc.pid])
        proc.communicate()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


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


# ---- --resume and program recipes with --nproc ------------------------------------------------
# Everything a resume must restore: dropout (glassnet's random stream, equal on every rank), the
# shards' shuffle (seed + epoch), a one-cycle schedule stepped per batch and Adam's moments.
RESUMABLE = """base = "xor-mlp"
epochs = 40
scheduler = "onecycle"

[model]
name = "mlp"
hidden = [32, 32]
dropout = 0.1
"""


def _launch_job(recipe, out, log):
    """``glassnet train RECIPE --nproc 2``, started in the background."""
    env = dict(os.environ, PYTHONPATH=ROOT, OPENBLAS_NUM_THREADS="1")
    argv = [sys.executable, "-m", "glassnet", "train", str(recipe), "--nproc", "2"]
    return subprocess.Popen(
        [*argv, "--out", str(out), "--no-doctor"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )


def _descendants(pid):
    """The processes started by ``pid``, at any depth (read from /proc): mpiexec's proxies
    put the ranks in process groups of their own, so killing mpiexec's group misses them."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:  # ended meanwhile
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def _kill_all(pids):
    """SIGKILL each of ``pids`` (the ranks first, before mpiexec reaps them)."""
    import signal

    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _running(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie runs no more
    except OSError:
        return False


def _weights(path):
    return {k: v.numpy() for k, v in glassnet.load(path).items()}


def test_a_killed_nproc_run_resumes_to_the_weights_of_an_uninterrupted_one(tmp_path):
    import time

    from glassnet.report import folder_state

    recipe = tmp_path / "small.toml"
    recipe.write_text(RESUMABLE)
    full = tmp_path / "full"
    done = glassnet_cli("train", str(recipe), "--nproc", "2", "--out", str(full), "--no-doctor")
    assert done.returncode == 0, done.stderr

    run, log_path = tmp_path / "killed", tmp_path / "killed.log"
    with open(log_path, "w") as log:
        job = _launch_job(recipe, run, log)
        end = time.monotonic() + 120
        while "Epoch 12/40 " not in log_path.read_text():
            assert job.poll() is None, log_path.read_text()
            assert time.monotonic() < end, "the job never reached epoch 12"
            time.sleep(0.005)
        # mpiexec and both ranks, mid-run (the ranks first, before mpiexec reaps them)
        pids = [*_descendants(job.pid), job.pid]
        _kill_all(pids)
        job.wait(60)
    # nothing of the killed job may still write into the folder
    end = time.monotonic() + 30
    while any(_running(pid) for pid in pids):
        assert time.monotonic() < end, "a rank survived SIGKILL"
        time.sleep(0.05)
    assert folder_state(run) == "unfinished"
    assert not (run / "model.safetensors").exists()

    # The batch size is per process: resuming on another count would change the global batch.
    other = glassnet_cli("train", "--resume", "--out", str(run))
    assert other.returncode != 0
    assert "trained on 2 process(es) and this run has 1" in other.stderr
    assert "resume it with --nproc 2" in other.stderr

    resumed = glassnet_cli("train", "--resume", "--out", str(run), "--nproc", "2", "--no-doctor")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.count("Resuming") == 1  # rank 0 alone speaks
    assert "Epoch 1/40 " not in resumed.stdout  # it continued, it did not start again
    assert folder_state(run) == "finished"
    want, got = _weights(full / "model.safetensors"), _weights(run / "model.safetensors")
    assert sorted(want) == sorted(got)
    for key in want:
        # The same float operations in the same order on the same data (2-rank MPI sums
        # are deterministic), so the same bits: any state the resume lost (a schedule step,
        # Adam's moments, a dropout mask, a shard's shuffle) would show as a difference.
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
    history = open(run / "history.csv").read().splitlines()
    assert len(history) == 1 + 40


def test_program_recipes_say_they_cannot_run_on_nproc():
    done = glassnet_cli("train", "shapes-unet", "--nproc", "2")
    assert done.returncode == 2
    assert "shapes-unet is a program recipe of its own" in done.stderr
    assert "train it without --nproc" in done.stderr
