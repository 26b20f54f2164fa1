"""The NCCL backend on the GPUs of one machine: run with ``glassnet run -n N
benchmarks/nccl_smoke.py`` (N = 1 works on a single GPU). Every collective is checked against
the value it must give, computed here by hand from the ranks' known inputs; prints
``nccl ok: ...`` or raises."""

import numpy as np

import glassnet
import glassnet.distributed as dist


def main():
    dist.init_process_group("nccl")
    rank, world = dist.get_rank(), dist.get_world_size()
    # rank r holds [r+1, 2(r+1), 3(r+1)]: sums and maxima are known in closed form
    base = np.arange(1, 4, dtype=np.float32)
    t = glassnet.tensor(base * (rank + 1)).to("cuda")
    dist.all_reduce(t)
    total = world * (world + 1) / 2
    np.testing.assert_allclose(t.cpu().numpy(), base * total)
    t = glassnet.tensor(base * (rank + 1)).to("cuda")
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    np.testing.assert_allclose(t.cpu().numpy(), base * total / world, rtol=1e-6)
    t = glassnet.tensor(base * (rank + 1)).to("cuda")
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    np.testing.assert_allclose(t.cpu().numpy(), base * world)
    b = glassnet.tensor(base * (rank + 7)).to("cuda")
    dist.broadcast(b, src=0)
    np.testing.assert_allclose(b.cpu().numpy(), base * 7)
    gathered = [glassnet.zeros(3).to("cuda") for _ in range(world)]
    dist.all_gather(gathered, glassnet.tensor(base * rank).to("cuda"))
    for r, g in enumerate(gathered):
        np.testing.assert_allclose(g.cpu().numpy(), base * r)
    out = glassnet.zeros(3).to("cuda")
    dist.reduce_scatter(out, [glassnet.tensor(base * (k + 1)).to("cuda") for k in range(world)])
    np.testing.assert_allclose(out.cpu().numpy(), base * (rank + 1) * world)
    dist.barrier()
    print(f"nccl ok: rank {rank} of {world}, all_reduce/broadcast/all_gather/reduce_scatter")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
