"""DistributedDataParallel on 2 MPI processes: the same weights as one process on the whole
batch, buckets launched during backward, no_sync accumulation, unused parameters."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.nn.parallel import DataParallel, DistributedDataParallel
from tests.distributed_helpers import ROOT, needs_mpiexec, run_ranks

_MODEL = """
import numpy as np
import glassnet, glassnet.distributed as dist
from glassnet import nn
from glassnet.nn.parallel import DistributedDataParallel as DDP

def make_model(seed):
    glassnet.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 8), nn.Tanh(),
                         nn.Linear(8, 3)).double()

rng = np.random.default_rng(0)
X = rng.standard_normal((16, 5))   # the fixed global batch, the same on every rank
Y = rng.standard_normal((16, 3))
dist.init_process_group("mpi")
r, w = dist.get_rank(), dist.get_world_size()
"""


@needs_mpiexec
def test_ddp_two_ranks_equal_one_process_on_the_whole_batch(tmp_path):
    body = (
        _MODEL
        + """
ddp = DDP(make_model(seed=100 + r), bucket_cap_mb=200 / 2**20)  # different inits: rank 0 wins
opt = glassnet.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
launches = []                       # post-accumulate hooks already run when a bucket started
post = [0]
for p in ddp.parameters():
    p.register_post_accumulate_grad_hook(lambda t: post.__setitem__(0, post[0] + 1))
real = ddp._impl.iallreduce
def spy(buf, op, finish=None):
    launches.append(post[0])
    return real(buf, op, finish)
ddp._impl.iallreduce = spy
share = slice(r * 8, (r + 1) * 8)   # each rank: its half of the global batch
for step in range(20):
    opt.zero_grad()
    x, y = glassnet.tensor(X[share]), glassnet.tensor(Y[share])
    nn.functional.mse_loss(ddp(x), y).backward()
    opt.step()
    if step == 0:
        first = list(launches)
        post[0] = 0

ref = make_model(seed=100)          # one process, the whole batch, rank 0's initial weights
ropt = glassnet.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
for step in range(20):
    ropt.zero_grad()
    nn.functional.mse_loss(ref(glassnet.tensor(X)), glassnet.tensor(Y)).backward()
    ropt.step()
diff = max(float(np.abs(a.detach().numpy() - b.detach().numpy()).max())
           for a, b in zip(ddp.module.parameters(), ref.parameters()))
save({"diff": diff, "buckets": len(ddp._buckets), "first_launches": first,
      "keys": sorted(ddp.state_dict()),
      "w0": ddp.module[0].weight.detach().numpy().tolist()})
"""
    )
    result, ranks = run_ranks(tmp_path, body, timeout=150)
    assert result.returncode == 0, result.stderr[-3000:]
    for rec in ranks:
        # Same arithmetic except the order of one sum: the all-reduce adds the two half-batch
        # gradients (each a mean of 8) and halves them, where one process takes the mean of 16.
        # That changes float64 rounding (~1e-16 relative per step); 20 SGD steps with momentum on
        # O(1) weights keep the drift around 1e-15, far below 1e-10.
        assert rec["diff"] <= 1e-10
        assert rec["buckets"] > 1  # a 200-byte cap splits the 5 layers' parameters
        # every bucket but possibly the last started before backward finished accumulating
        assert rec["first_launches"][:-1] == [0] * (rec["buckets"] - 1)
        assert len(rec["first_launches"]) == rec["buckets"]
        assert rec["keys"][0].startswith("module.")
    assert ranks[0]["w0"] == ranks[1]["w0"]  # the replicas hold identical weights


@needs_mpiexec
def test_no_sync_accumulates_locally_then_syncs(tmp_path):
    body = (
        _MODEL
        + """
ddp = DDP(make_model(seed=7))
loss = lambda m, rows: nn.functional.mse_loss(m(glassnet.tensor(X[rows])),
                                              glassnet.tensor(Y[rows]))
micro = [slice(r * 8, r * 8 + 4), slice(r * 8 + 4, r * 8 + 8)]   # this rank's 2 micro-batches
with ddp.no_sync():
    loss(ddp, micro[0]).backward()
local = ddp.module[0].weight.grad.numpy().copy()   # not synced yet
loss(ddp, micro[1]).backward()
synced = [p.grad.numpy().tolist() for p in ddp.module.parameters()]

ref = make_model(seed=7)      # by hand: mean over ranks of each rank's summed micro-batch grads
for rank in range(w):
    for rows in (slice(rank * 8, rank * 8 + 4), slice(rank * 8 + 4, rank * 8 + 8)):
        loss(ref, rows).backward()
want = [(p.grad.numpy() / w).tolist() for p in ref.parameters()]
ref0 = make_model(seed=7)
loss(ref0, micro[0]).backward()
save({"synced": synced, "want": want, "local": local.tolist(),
      "local_want": ref0[0].weight.grad.numpy().tolist()})
"""
    )
    result, ranks = run_ranks(tmp_path, body, timeout=150)
    assert result.returncode == 0, result.stderr[-3000:]
    for rec in ranks:
        # float64, sums of four gradients in another order: rounding only (~1e-16 relative)
        np.testing.assert_allclose(rec["local"], rec["local_want"], rtol=0, atol=1e-14)
        for got, want in zip(rec["synced"], rec["want"]):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    assert ranks[0]["local"] != ranks[1]["local"]  # no_sync really kept them local


@needs_mpiexec
def test_unused_parameters(tmp_path):
    body = (
        _MODEL
        + """
class Two(nn.Module):
    def __init__(self):
        super().__init__()
        self.used, self.unused = nn.Linear(5, 3).double(), nn.Linear(5, 3).double()
    def forward(self, x):
        return self.used(x)
x = glassnet.tensor(X[r * 8:(r + 1) * 8])
try:
    DDP(Two())(x)
    message = None
except RuntimeError as exc:
    message = str(exc)
ddp = DDP(Two(), find_unused_parameters=True)
ddp(x).sum().backward()
g = ddp.module.used.weight.grad.numpy()
save({"message": message, "g": g.tolist(), "unused_grad": ddp.module.unused.weight.grad is None})
"""
    )
    result, ranks = run_ranks(tmp_path, body, timeout=150)
    assert result.returncode == 0, result.stderr[-3000:]
    for rec in ranks:
        assert "unused.weight" in rec["message"] and "find_unused_parameters=True" in rec["message"]
    # the same averaged gradient on both ranks: d(sum(x W^T))/dW = column sums of x, averaged
    X = np.random.default_rng(0).standard_normal((16, 5))
    want = np.tile((X[:8].sum(0) + X[8:].sum(0)) / 2, (3, 1))
    for rec in ranks:
        np.testing.assert_allclose(rec["g"], want, rtol=1e-13, atol=1e-13)


def test_ddp_needs_a_process_group():
    import glassnet

    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedDataParallel(glassnet.nn.Linear(2, 2))


def test_data_parallel_runs_the_module_with_torch_keys():
    import torch

    import glassnet

    lin = glassnet.nn.Linear(3, 2)
    dp = DataParallel(lin)
    x = glassnet.randn(4, 3)
    np.testing.assert_array_equal(dp(x).detach().numpy(), lin(x).detach().numpy())
    assert sorted(dp.state_dict()) == sorted(
        torch.nn.DataParallel(torch.nn.Linear(3, 2)).state_dict()
    )


@needs_mpiexec
def test_the_ddp_example_in_the_docs_runs(tmp_path):
    text = (ROOT / "docs" / "distributed.md").read_text()
    start = text.index("# train_ddp.py")
    code = text[start : text.index("```", start)]
    code = code.replace('"model.safetensors"', repr(str(tmp_path / "model.safetensors")))
    body = code + "\nsave({'ok': True})\n"
    result, ranks = run_ranks(tmp_path, body, timeout=150)
    assert result.returncode == 0, result.stderr[-3000:]
    assert ranks == [{"ok": True}, {"ok": True}]
    loss = float(result.stdout.split("final loss")[1].split()[0])
    assert loss < 1.0  # y = sum of 4 standard normals has variance 4: the model learned
    import glassnet

    saved = glassnet.load(str(tmp_path / "model.safetensors"))
    assert sorted(saved) == ["0.bias", "0.weight", "2.bias", "2.weight"]
