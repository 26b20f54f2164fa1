"""Throughput and latency of ``glassnet serve`` with and without micro-batching.

Trains a recipe for one epoch (the weights do not change the cost), starts ``glassnet serve`` on
a free loopback port, sends single-sample requests from an async httpx client at a fixed
concurrency and prints requests per second and the p50/p99 latency, first with batching off
(``--max-batch 1``), then on. The client runs on the same machine, so both share its cores.

    python -m benchmarks.serve                          # digits-cnn, 10,000 requests, 32 at once
    python -m benchmarks.serve --recipe iris-mlp --requests 2000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(run_dir, port, extra):
    import httpx

    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    command = [sys.executable, "-m", "glassnet", "serve", run_dir, "--port", str(port), *extra]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start")


async def _load(url, rows, n, concurrency):
    import httpx

    latencies, errors = [], 0
    next_index = iter(range(n))

    async def worker(client):
        nonlocal errors
        for i in next_index:
            t0 = time.perf_counter()
            reply = await client.post(url, json={"inputs": [rows[i % len(rows)]]})
            latencies.append(time.perf_counter() - t0)
            errors += reply.status_code != 200

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - start
    return np.array(latencies), wall, errors


def main(argv=None):
    import httpx

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="digits-cnn")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-batch", type=int, default=32)
    parser.add_argument("--max-wait-ms", type=float, default=2.0)
    args = parser.parse_args(argv)

    from glassnet.recipes import get
    from glassnet.recipes.prepare import prepare
    from glassnet.recipes.runner import train

    folder = tempfile.mkdtemp(prefix="glassnet-serve-bench-")
    run_dir = train(get(args.recipe).replace(epochs=1), folder, progress=False).run_dir
    x = np.asarray(prepare(get(args.recipe), warn=False).x_test, dtype=np.float64)
    rows = x.reshape(len(x), -1).tolist()
    print(
        f"{args.recipe}: {args.requests} single-sample requests, concurrency {args.concurrency}, "
        "client and server on this machine"
    )
    print(f"{'mode':<34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'mean batch':>10}")
    settings = [
        ("no batching (--max-batch 1)", ["--max-batch", "1"]),
        (
            f"micro-batching ({args.max_batch}, {args.max_wait_ms:g} ms)",
            ["--max-batch", str(args.max_batch), "--max-wait-ms", str(args.max_wait_ms)],
        ),
    ]
    for label, extra in settings:
        port = _free_port()
        proc = _start(run_dir, port, extra)
        try:
            url = f"http://127.0.0.1:{port}/predict"
            asyncio.run(_load(url, rows, min(200, args.requests), args.concurrency))  # warm up
            before = httpx.get(url.replace("/predict", "/metadata")).json()["server"]
            lat, wall, errors = asyncio.run(_load(url, rows, args.requests, args.concurrency))
            after = httpx.get(url.replace("/predict", "/metadata")).json()["server"]
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        p50, p99 = np.percentile(lat * 1000, [50, 99])
        passes = after["forward_passes"] - before["forward_passes"]
        mean = (after["samples_answered"] - before["samples_answered"]) / max(passes, 1)
        print(
            f"{label:<34} {args.requests / wall:>8.0f} {p50:>8.2f} {p99:>8.2f} {errors:>7} "
            f"{mean:>10.1f}"
        )


if __name__ == "__main__":
    main()
