"""Micro-batching: requests that arrive together are answered by one forward pass.

Each request puts its rows on an asyncio queue and waits for its own answer. One task takes the
first waiting request, then keeps taking more until the batch holds ``max_batch`` rows or
``max_wait_ms`` has passed since the first, runs the model once on all of them (in a worker
thread, so the event loop keeps accepting requests) and hands each request its slice. A request
with more rows than ``max_batch`` runs on its own. ``max_batch=1`` turns batching off.

>>> import asyncio, numpy as np
>>> async def demo():
...     b = MicroBatcher(lambda x: x * 2, max_batch=8, max_wait_ms=5)
...     await b.start()
...     out = await asyncio.gather(*(b.submit(np.full((1, 1), i)) for i in range(3)))
...     await b.stop()
...     return [float(o[0, 0]) for o in out], b.batches
>>> asyncio.run(demo())
([0.0, 2.0, 4.0], 1)
"""

from __future__ import annotations

import asyncio
import concurrent.futures

import numpy as np


class MicroBatcher:
    """Batches ``submit(rows)`` calls for ``run(batch) -> outputs`` (row i of the output answers
    row i of the batch). ``batches`` and ``rows`` count what has run."""

    def __init__(self, run, max_batch: int = 64, max_wait_ms: float = 2.0):
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        if max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must not be negative, got {max_wait_ms}")
        self.run, self.max_batch, self.max_wait = run, int(max_batch), max_wait_ms / 1000.0
        self.batches = self.rows = 0
        self._queue = None
        self._task = None
        # One thread: the model runs one batch at a time, never concurrently with itself.
        self._executor = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="glassnet-model"
        )

    async def start(self):
        self._queue = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self):
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        self._executor.shutdown(wait=False)

    async def submit(self, rows: np.ndarray) -> np.ndarray:
        """The outputs for ``rows``, computed in some batch."""
        future = asyncio.get_running_loop().create_future()
        await self._queue.put((rows, future))
        return await future

    async def _loop(self):
        loop = asyncio.get_running_loop()
        carry = None  # a request that did not fit the last batch starts the next one
        while True:
            items = [carry if carry is not None else await self._queue.get()]
            carry = None
            count = len(items[0][0])
            deadline = loop.time() + self.max_wait
            waited = False
            while count < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    # One timer per batch (not one per request): wait out the rest of the
                    # window once, then take whatever has arrived.
                    left = deadline - loop.time()
                    if waited or left <= 0:
                        break
                    waited = True
                    await asyncio.sleep(left)
                    continue
                if count + len(item[0]) > self.max_batch:
                    carry = item
                    break
                items.append(item)
                count += len(item[0])
            await self._run(items)

    async def _run(self, items):
        batch = items[0][0] if len(items) == 1 else np.concatenate([x for x, _ in items])
        try:
            out = await asyncio.get_running_loop().run_in_executor(self._executor, self.run, batch)
        except Exception as exc:  # every waiting request hears of the failure
            for _, future in items:
                if not future.done():
                    future.set_exception(exc)
            return
        self.batches += 1
        self.rows += len(batch)
        start = 0
        for x, future in items:
            if not future.done():  # (a client that went away has a cancelled future)
                future.set_result(out[start : start + len(x)])
            start += len(x)
