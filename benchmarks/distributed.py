"""Data-parallel scaling on this machine: a small ResNet training step (DistributedDataParallel
over MPI) on 1 and 2 processes at a fixed global batch, with the time spent in gradient
all-reduces shown separately, and the all-reduce bandwidth of MPI against torch.distributed's
gloo (the PyTorch peer) measured in the same run.

Run: ``python -m benchmarks.distributed`` (``--steps 6 --batch 32``). Each process uses one
BLAS thread, so 2 processes on a 2-core machine use both cores. docs/distributed.md turns the
measured bandwidth into a model of bucket size and overlap at 8 and 64 workers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

SIZES = [2**k for k in range(10, 25, 2)]  # all-reduce message sizes in bytes (1 KiB .. 16 MiB)


def _worker(args):
    import numpy as np

    import glassnet
    import glassnet.distributed as dist
    import glassnet.nn.functional as F
    from glassnet.models.resnet import ResNet
    from glassnet.nn.parallel import DistributedDataParallel

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    glassnet.manual_seed(0)
    model = DistributedDataParallel(
        ResNet(blocks=(1, 1, 1), widths=(16, 32, 64)), bucket_cap_mb=args.bucket_mb
    )
    opt = glassnet.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    comm = [0.0]
    impl = model._impl
    start_collective = impl.iallreduce

    def timed(buf, op, finish=None):
        t0 = time.perf_counter()
        work = start_collective(buf, op, finish)
        wait = work.wait

        def timed_wait(timeout=None):
            t1 = time.perf_counter()
            out = wait(timeout)
            comm[0] += time.perf_counter() - t1
            return out

        work.wait = timed_wait
        comm[0] += time.perf_counter() - t0
        return work

    impl.iallreduce = timed
    rng = np.random.default_rng(rank)
    local = args.batch // world
    x = glassnet.tensor(rng.standard_normal((local, 3, 32, 32)).astype(np.float32))
    y = glassnet.tensor(rng.integers(0, 10, local))
    steps, comms = [], []
    for i in range(args.warmup + args.steps):
        dist.barrier()
        comm[0] = 0.0
        t0 = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        if i >= args.warmup:
            steps.append(time.perf_counter() - t0)
            comms.append(comm[0])
    bandwidth = {}
    if world > 1:
        for size in SIZES:
            buf = glassnet.zeros(size // 4)
            dist.all_reduce(buf)
            dist.barrier()
            t0 = time.perf_counter()
            for _ in range(args.reps):
                dist.all_reduce(buf)
            bandwidth[size] = (time.perf_counter() - t0) / args.reps
    gloo = {}
    if world > 1 and args.gloo_port:
        import torch
        import torch.distributed as tdist

        tdist.init_process_group(
            "gloo", init_method=f"tcp://127.0.0.1:{args.gloo_port}", rank=rank, world_size=world
        )
        for size in SIZES:
            t = torch.zeros(size // 4)
            tdist.all_reduce(t)
            tdist.barrier()
            t0 = time.perf_counter()
            for _ in range(args.reps):
                tdist.all_reduce(t)
            gloo[size] = (time.perf_counter() - t0) / args.reps
        tdist.destroy_process_group()
    n_params = sum(p.numel() for p in model.parameters())
    if rank == 0:
        Path(args.out).write_text(
            json.dumps(
                {
                    "world": world,
                    "step_s": sorted(steps)[len(steps) // 2],
                    "comm_s": sorted(comms)[len(comms) // 2],
                    "buckets": len(model._buckets),
                    "params": n_params,
                    "mpi_allreduce_s": bandwidth,
                    "gloo_allreduce_s": gloo,
                }
            )
        )
    dist.destroy_process_group()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32, help="global batch (split over ranks)")
    parser.add_argument("--bucket-mb", type=float, default=25.0)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--no-gloo", action="store_true", help="skip the torch gloo peer")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", default="", help=argparse.SUPPRESS)
    parser.add_argument("--gloo-port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(args)

    import socket

    from glassnet.distributed import launch

    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parent.parent)] + sys.path)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for world in (1, 2):
            out = Path(tmp) / f"w{world}.json"
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = 0 if args.no_gloo else s.getsockname()[1]
            extra = ["--worker", "--out", str(out), "--gloo-port", str(port)]
            for name in ("steps", "warmup", "batch", "reps"):
                extra += [f"--{name}", str(getattr(args, name))]
            extra += ["--bucket-mb", str(args.bucket_mb)]
            done = launch.run(Path(__file__).resolve(), extra, nproc=world, timeout=600, env=env)
            if done.returncode:
                raise SystemExit(f"the {world}-process run failed (exit {done.returncode})")
            results[world] = json.loads(out.read_text())
    one, two = results[1], results[2]
    print(f"small ResNet (blocks 1,1,1; {one['params']} parameters), global batch {args.batch}")
    print(f"{'processes':>10} {'step ms':>10} {'all-reduce ms':>14} {'speed-up':>9}")
    for world, r in results.items():
        print(
            f"{world:>10} {1e3 * r['step_s']:>10.1f} {1e3 * r['comm_s']:>14.2f} "
            f"{one['step_s'] / r['step_s']:>9.2f}"
        )
    print(
        f"\nall-reduce of float32 on 2 processes ({two['buckets']} DDP bucket(s) at "
        f"{args.bucket_mb} MB)"
    )
    print(f"{'bytes':>10} {'MPI us':>10} {'MPI GB/s':>9} {'gloo us':>10} {'gloo/MPI':>9}")
    for size in SIZES:
        t = two["mpi_allreduce_s"][str(size)]
        g = two["gloo_allreduce_s"].get(str(size))
        # bus bandwidth of a ring all-reduce: each byte crosses 2 (n - 1) / n links
        bw = size * 2 * (2 - 1) / 2 / t / 1e9
        gloo = f"{1e6 * g:>10.1f} {g / t:>9.2f}" if g else f"{'-':>10} {'-':>9}"
        print(f"{size:>10} {1e6 * t:>10.1f} {bw:>9.2f} {gloo}")


if __name__ == "__main__":
    main()
