"""glassnet.distributed: the sampler against PyTorch's, the collectives on 2 MPI processes
(against values computed by hand and against torch.distributed's gloo on the same data), and a
failing rank ending the job."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from torch.utils.data.distributed import DistributedSampler as TorchSampler

from glassnet.data import DistributedSampler
from glassnet.distributed import launch
from glassnet.utils.data.distributed import DistributedSampler as PathSampler
from tests.distributed_helpers import ROOT, free_port, needs_mpiexec, run_ranks


# ---- DistributedSampler ----------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 3, 10, 11, 17])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_split_and_padding_equal_torch(n, replicas, drop_last):
    for rank in range(replicas):
        kw = dict(num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        ours = DistributedSampler(range(n), **kw)
        theirs = TorchSampler(range(n), **kw)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (7, 4, False)])
def test_sampler_shuffle_partition_rules(n, replicas, drop_last):
    # torch draws its permutation from a torch.Generator (seeded with seed + epoch); glassnet
    # draws it from NumPy's PCG64 with the same seed, so the permutation itself differs. What
    # must hold is the rule: ranks agree on one permutation, shares do not overlap, together
    # they cover the dataset (padded by repeating, or cut with drop_last) with torch's sizes.
    def shares(epoch):
        out = []
        for rank in range(replicas):
            s = DistributedSampler(
                range(n), replicas, rank, shuffle=True, seed=5, drop_last=drop_last
            )
            s.set_epoch(epoch)
            out.append(list(s))
        return out

    ranks = shares(0)
    torch_len = len(TorchSampler(range(n), replicas, 0, drop_last=drop_last))
    assert all(len(r) == torch_len for r in ranks)
    flat = [i for r in ranks for i in r]
    if drop_last:
        assert len(set(flat)) == len(flat) == torch_len * replicas  # no sample twice
    else:
        assert set(flat) == set(range(n))  # every sample seen
        assert len(flat) - len(set(flat)) == torch_len * replicas - n  # only the padding repeats
    assert shares(0) == ranks  # deterministic for a seed and epoch
    assert shares(1) != ranks  # set_epoch changes the order


def test_sampler_path_and_bad_rank():
    assert PathSampler is DistributedSampler
    with pytest.raises(
        ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"
    ):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))


# ---- collectives on 2 processes ----------------------------------------------------------------
_COLLECTIVES = """
import numpy as np, torch, torch.distributed as tdist
import glassnet, glassnet.distributed as dist

dist.init_process_group("mpi")
r, w = dist.get_rank(), dist.get_world_size()
tdist.init_process_group("gloo", init_method="tcp://127.0.0.1:" + sys.argv[1], rank=r,
                         world_size=w)
data = np.arange(6, dtype=np.float64).reshape(2, 3) * (r + 1) - r  # differs by rank
out, ref = {}, {}
for name in ("SUM", "AVG", "MAX", "MIN", "PRODUCT"):
    t = glassnet.tensor(data.copy())
    dist.all_reduce(t, op=getattr(dist.ReduceOp, name))
    out["all_reduce_" + name] = t.numpy().tolist()
    if name != "AVG":  # gloo has no AVG
        tt = torch.tensor(data.copy())
        tdist.all_reduce(tt, op=getattr(tdist.ReduceOp, name))
        ref["all_reduce_" + name] = tt.numpy().tolist()
t32 = glassnet.tensor(data.astype(np.float32))
work = dist.all_reduce(t32, async_op=True)
work.wait()
out["all_reduce_async_f32"] = t32.numpy().tolist()
ti = glassnet.tensor(np.array([r + 1, 10 * r], dtype=np.int64))
dist.all_reduce(ti, op=dist.ReduceOp.MAX)
out["all_reduce_int_max"] = ti.numpy().tolist()

b = glassnet.tensor(data.copy())
dist.broadcast(b, src=1)
out["broadcast"] = b.numpy().tolist()
tb = torch.tensor(data.copy()); tdist.broadcast(tb, src=1); ref["broadcast"] = tb.tolist()

gl = [glassnet.zeros(2, 3, dtype=glassnet.float64) for _ in range(w)]
dist.all_gather(gl, glassnet.tensor(data.copy()))
out["all_gather"] = [g.numpy().tolist() for g in gl]
tg = [torch.zeros(2, 3, dtype=torch.float64) for _ in range(w)]
tdist.all_gather(tg, torch.tensor(data.copy())); ref["all_gather"] = [g.tolist() for g in tg]

inputs = [glassnet.tensor(data[i].copy()) for i in range(w)]
o = glassnet.zeros(3, dtype=glassnet.float64)
dist.reduce_scatter(o, inputs)
out["reduce_scatter"] = o.numpy().tolist()
o2 = glassnet.zeros(3, dtype=glassnet.float64)
dist.reduce_scatter_tensor(o2, glassnet.tensor(data.copy()), op=dist.ReduceOp.MAX)
out["reduce_scatter_tensor_max"] = o2.numpy().tolist()
try:  # gloo on CPU may lack reduce_scatter; compare where it has it
    to = torch.zeros(3, dtype=torch.float64)
    tdist.reduce_scatter(to, [torch.tensor(data[i].copy()) for i in range(w)])
    ref["reduce_scatter"] = to.tolist()
except RuntimeError as exc:
    out["gloo_reduce_scatter_missing"] = str(exc)[:200]
dist.barrier()
save({"rank": r, "world": w, "out": out, "ref": ref})
tdist.destroy_process_group()
dist.destroy_process_group()
"""


@needs_mpiexec
def test_collectives_two_ranks_by_hand_and_against_gloo(tmp_path):
    result, ranks = run_ranks(tmp_path, _COLLECTIVES, args=[str(free_port())], timeout=150)
    assert result.returncode == 0, result.stderr[-3000:]
    import numpy as np

    d = [np.arange(6.0).reshape(2, 3) * (r + 1) - r for r in range(2)]  # what each rank holds
    by_hand = {
        "all_reduce_SUM": d[0] + d[1],
        "all_reduce_AVG": (d[0] + d[1]) / 2,
        "all_reduce_MAX": np.maximum(d[0], d[1]),
        "all_reduce_MIN": np.minimum(d[0], d[1]),
        "all_reduce_PRODUCT": d[0] * d[1],
        "all_reduce_async_f32": d[0] + d[1],
        "broadcast": d[1],
        "all_gather": np.stack(d),
        "all_reduce_int_max": np.array([2, 10]),
    }
    for rank, rec in enumerate(ranks):
        assert rec["rank"] == rank and rec["world"] == 2
        out = rec["out"]
        # Exact: sums/products of two small integers are exact in float64 and float32.
        for key, want in by_hand.items():
            np.testing.assert_array_equal(np.array(out[key]), want, err_msg=key)
        np.testing.assert_array_equal(out["reduce_scatter"], d[0][rank] + d[1][rank])
        np.testing.assert_array_equal(
            out["reduce_scatter_tensor_max"], np.maximum(d[0][rank], d[1][rank])
        )
        for key, want in rec["ref"].items():  # torch.distributed gloo on the same data
            np.testing.assert_array_equal(np.array(out[key]), np.array(want), err_msg=key)
        assert {"all_reduce_SUM", "broadcast", "all_gather"} <= set(rec["ref"])


# ---- launching -------------------------------------------------------------------------------
@needs_mpiexec
def test_a_raising_rank_ends_the_job_with_its_message(tmp_path):
    body = """
import time
import glassnet.distributed as dist
dist.init_process_group("mpi")
if dist.get_rank() == 1:
    raise ValueError("rank one fails on purpose")
dist.barrier()  # rank 0 would wait here forever without the abort
time.sleep(60)
"""
    result, _ = run_ranks(tmp_path, body, timeout=60)
    assert result.returncode not in (0, 124), "the job must end by itself, not by the timeout"
    assert "rank one fails on purpose" in result.stderr + result.stdout


@needs_mpiexec
def test_a_killed_rank_ends_the_job_instead_of_leaving_its_peer_in_a_collective(tmp_path):
    # SIGKILL gives the dying rank no chance to call MPI_Abort; mpiexec itself must notice the
    # lost process and end its peer, which is blocked in an all_reduce that can never complete.
    body = """
import os, signal
import numpy as np
import glassnet
import glassnet.distributed as dist
dist.init_process_group("mpi")
t = glassnet.tensor(np.ones(4))
dist.all_reduce(t)
save({"first": t.tolist()})
if dist.get_rank() == 1:
    os.kill(os.getpid(), signal.SIGKILL)
dist.all_reduce(t)  # rank 0 waits here for a peer that is gone
save({"second": t.tolist()})
"""
    result, ranks = run_ranks(tmp_path, body, timeout=60)
    assert result.returncode not in (0, 124), "the job must end by itself, not by the timeout"
    assert ranks[1] == {"first": [2.0] * 4}, "rank 1 was killed before its second collective"
    assert ranks[0] == {"first": [2.0] * 4}, "rank 0 must not finish the second all_reduce"


@needs_mpiexec
def test_timeout_ends_a_hung_job(tmp_path):
    body = """
import time
time.sleep(120)
"""
    result, _ = run_ranks(tmp_path, body, timeout=5)
    assert result.returncode == 124
    assert "did not finish within 5" in result.stderr


def test_one_process_without_mpiexec_is_a_world_of_one(tmp_path):
    # a plain `python script.py` must work too: MPI starts as a singleton
    script = tmp_path / "solo.py"
    script.write_text(
        "import glassnet, glassnet.distributed as dist\n"
        "dist.init_process_group('mpi')\n"
        "t = glassnet.tensor([3.0])\n"
        "dist.all_reduce(t, op=dist.ReduceOp.AVG)\n"
        "print(dist.get_rank(), dist.get_world_size(), t.tolist())\n"
    )
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "1", "[3.0]"]


def test_launch_errors():
    with pytest.raises(launch.LaunchError, match="no such script"):
        launch.run("does-not-exist.py", nproc=1)
    with pytest.raises(ValueError, match="at least 1"):
        launch.build_command("x.py", [], nproc=0, mpiexec="m", python="p")


def test_collective_without_group_says_what_to_do():
    import glassnet
    import glassnet.distributed as dist

    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.all_reduce(glassnet.tensor([1.0]))


@needs_mpiexec
def test_glassnet_run_command_passes_arguments_and_reports_failure(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(
        "import sys\n"
        "import glassnet, glassnet.distributed as dist\n"
        "dist.init_process_group('mpi')\n"
        "t = glassnet.tensor([float(dist.get_rank())])\n"
        "dist.all_reduce(t)\n"
        # One file per rank: mpiexec forwards both ranks' stdout into one pipe, where two
        # lines written at the same moment can interleave.
        "line = f'rank {dist.get_rank()} sum {t.item()} args {sys.argv[1:]}'\n"
        f"open(r'{tmp_path}' + f'/rank{{dist.get_rank()}}.txt', 'w').write(line)\n"
        "if '--fail' in sys.argv and dist.get_rank() == 0:\n"
        "    raise SystemError('rank zero stops the job')\n"
        "dist.barrier()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "glassnet", "run", "-n", "2", "--timeout", "60", str(script)]
    ok = subprocess.run(
        [*cmd, "--lr", "0.5", "-n", "9"], env=env, capture_output=True, text=True, timeout=90
    )
    assert ok.returncode == 0, ok.stderr
    lines = [(tmp_path / f"rank{r}.txt").read_text() for r in (0, 1)]
    # 0 + 1 summed over the ranks; the script's own -n 9 is not the launcher's
    assert lines == [f"rank {r} sum 1.0 args ['--lr', '0.5', '-n', '9']" for r in (0, 1)]
    bad = subprocess.run([*cmd, "--fail"], env=env, capture_output=True, text=True, timeout=90)
    assert bad.returncode not in (0, 124)
    assert "rank zero stops the job" in bad.stderr + bad.stdout
    assert "glassnet run: a process failed" in bad.stderr


def test_nccl_backend_is_import_safe_and_names_its_extra():
    import importlib.util

    import glassnet.distributed as dist
    import glassnet.distributed.nccl_backend  # noqa: F401 - importing needs no CuPy

    if importlib.util.find_spec("cupy") is None:
        with pytest.raises(ImportError, match=r"glassnet\[cuda\]"):
            dist.init_process_group("nccl")
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="unknown backend 'ucc'"):
        dist.init_process_group("ucc")
