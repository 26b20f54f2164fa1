"""A live ``glassnet serve`` in a subprocess on a free loopback port, under load: 2,000 requests
at concurrency 32 (httpx, async), every one answered 200 and equal to the offline prediction of
the same run. Bounded: loopback only, a timeout on every request and on the whole run."""

import asyncio
import os
import socket
import subprocess
import sys
import time

import httpx  # noqa: E402
import numpy as np
import pytest
import uvicorn  # noqa: E402, F401

from glassnet.recipes import get  # noqa: E402
from glassnet.recipes.runner import forward, load_run, train  # noqa: E402

REQUESTS, CONCURRENCY = 2000, 32
# Offline and served answers come from the same float32 model; only the micro-batch a row
# lands in differs, which reorders BLAS's sums by a few float32 ulps (6e-8 relative each).
RTOL = 1e-5


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(run_dir, port, *extra):
    """``glassnet serve`` in a subprocess; returns it once /health answers."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    command = [sys.executable, "-m", "glassnet", "serve", run_dir, "--port", str(port), *extra]
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited: {proc.stderr.read()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("the server did not answer /health within 60 s")


def stop_server(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def hammer(url, rows, n, concurrency):
    """``n`` single-sample requests, ``concurrency`` at a time; returns (index, reply) pairs."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    results = []
    queue = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)

    async def worker(client):
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            k = i % len(rows)
            reply = await client.post(url, json={"inputs": [rows[k]]})
            results.append((k, reply.status_code, reply.json()))

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await asyncio.wait_for(
            asyncio.gather(*(worker(client) for _ in range(concurrency))), timeout=240
        )
    return results


def test_live_server_under_load(tmp_path):
    run_dir = train(get("iris-mlp").replace(epochs=3), str(tmp_path / "run"), progress=False)
    run_dir = run_dir.run_dir
    rng = np.random.default_rng(0)
    # raw measurements around iris's ranges (cm): the server scales them as training did
    rows = rng.uniform([4, 2, 1, 0.1], [8, 4.5, 7, 2.5], size=(200, 4)).round(2)
    offline = forward(load_run(run_dir), rows)
    names = load_run(run_dir).preprocessing.class_names
    port = free_port()
    proc = start_server(run_dir, port, "--max-batch", "32", "--max-wait-ms", "2")
    try:
        results = asyncio.run(
            hammer(f"http://127.0.0.1:{port}/predict", rows.tolist(), REQUESTS, CONCURRENCY)
        )
        assert proc.poll() is None  # still running
    finally:
        stop_server(proc)
    assert len(results) == REQUESTS
    errors = [r for r in results if r[1] != 200]
    assert not errors, errors[:3]
    for k, _, body in results:
        assert body["predictions"] == [names[int(offline[k].argmax())]]
        np.testing.assert_allclose(body["probabilities"][0], offline[k], rtol=RTOL, atol=1e-7)


@pytest.mark.slow  # three Python processes start (a minute on a busy 2-core machine)
def test_live_server_with_two_workers(tmp_path):
    # --workers 2: uvicorn's worker processes each build the app from the settings it was
    # handed and load the model once; answers are the same as offline
    run_dir = train(get("iris-mlp").replace(epochs=1), str(tmp_path / "run"), progress=False)
    run_dir = run_dir.run_dir
    rows = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 2.8, 4.3, 1.3]])
    offline = forward(load_run(run_dir), rows)
    port = free_port()
    proc = start_server(run_dir, port, "--workers", "2")
    try:
        results = asyncio.run(hammer(f"http://127.0.0.1:{port}/predict", rows.tolist(), 60, 8))
    finally:
        stop_server(proc)
    assert all(status == 200 for _, status, _ in results)
    for k, _, body in results:
        np.testing.assert_allclose(body["probabilities"][0], offline[k], rtol=RTOL, atol=1e-7)
