"""The playground's web app: one static page and one WebSocket per browser tab.

Each socket gets its own ``Session``. A small asyncio task per socket trains while the tab
is playing, a few milliseconds of steps at a time, and sends a picture after each piece, so
one server stays responsive for every tab. Messages are JSON objects with a ``type``:

from the page: ``config`` (settings: builds a fresh run), ``play``, ``pause``,
``step`` (``n`` steps), ``reset``, ``csv`` (``text``, ``problem``), ``export``;
to the page: ``data`` (the points), ``update`` (losses and pictures), ``export``
(``code``), ``csv`` (rows read), ``error`` (``message``: shown in the page).
"""

# No ``from __future__ import annotations``: FastAPI reads the socket's annotation as an object.
import asyncio
import json
from pathlib import Path

from glassnet._optional import require
from glassnet.playground.export import script
from glassnet.playground.session import Session
from glassnet.playground.settings import SettingsError

STATIC = Path(__file__).parent / "static"
CHUNK_S = 0.04  # training time between two pictures while playing
MAX_STEPS_PER_CALL = 1000


def _message(session: Session, msg) -> list:
    """The replies to one message from the page (raises SettingsError on bad input)."""
    if not isinstance(msg, dict) or "type" not in msg:
        raise SettingsError('each message must be a JSON object with a "type"')
    kind = msg["type"]
    if kind == "config":
        session.configure(msg.get("config", {}))
        return [session.data(), session.update()]
    if kind == "reset":
        session.reset()
        return [session.data(), session.update()]
    if session.run is None and kind in ("play", "step", "export"):
        raise SettingsError(f"'{kind}' needs a run: send the settings ('config') first")
    if kind == "play":
        session.playing = True
        return []
    if kind == "pause":
        session.playing = False
        return [session.update()] if session.run is not None else []
    if kind == "step":
        n = msg.get("n", 1)
        if not isinstance(n, int) or not 1 <= n <= MAX_STEPS_PER_CALL:
            raise SettingsError(f"step n must be a whole number 1..{MAX_STEPS_PER_CALL}, got {n!r}")
        session.train(n)
        return [session.update()]
    if kind == "csv":
        rows = session.upload_csv(msg.get("text", ""), msg.get("problem", "classification"))
        return [{"type": "csv", "rows": rows}]
    if kind == "export":
        code = script(session.run.settings, session.run.step_count)
        return [{"type": "export", "code": code, "steps": session.run.step_count}]
    raise SettingsError(
        f"unknown message type {kind!r}; known: config, play, pause, step, reset, csv, export"
    )


def create_app():
    """The FastAPI app: ``/`` (the page), ``/static/...``, ``/ws`` (one session per socket)."""
    fastapi = require("fastapi", "playground")
    from fastapi import WebSocket, WebSocketDisconnect
    from fastapi.responses import FileResponse
    from fastapi.staticfiles import StaticFiles

    app = fastapi.FastAPI(title="glassnet playground")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/")
    def index():
        return FileResponse(STATIC / "index.html")

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.websocket("/ws")
    async def socket(ws: WebSocket):
        await ws.accept()
        session = Session()
        lock = asyncio.Lock()  # one message or one training piece at a time

        async def send(payloads):
            for p in payloads:
                await ws.send_text(_json(p))

        async def trainer():
            while True:
                if session.playing and session.run is not None:
                    async with lock:
                        try:
                            session.train(10_000, budget_s=CHUNK_S)
                            await send([session.update()])
                        except SettingsError as e:
                            session.playing = False
                            await send([{"type": "error", "message": str(e)}, session.update()])
                    await asyncio.sleep(0.005)
                else:
                    await asyncio.sleep(0.03)

        task = asyncio.create_task(trainer())
        try:
            while True:
                text = await ws.receive_text()
                async with lock:
                    try:
                        await send(_message(session, json.loads(text)))
                    except (SettingsError, json.JSONDecodeError) as e:
                        await send([{"type": "error", "message": str(e)}])
                    except Exception as e:  # a bug must not kill the tab's session
                        await send([{"type": "error", "message": f"{type(e).__name__}: {e}"}])
        except WebSocketDisconnect:
            pass
        finally:
            task.cancel()

    return app


def _finite(value):
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _json(payload) -> str:
    """JSON the browser can parse: NaN and infinity (a run that blew up) become null."""
    try:
        return json.dumps(payload, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(payload), allow_nan=False)


def serve(host: str = "127.0.0.1", port: int = 8765, log_level: str = "warning"):
    """Run the app with uvicorn until interrupted."""
    uvicorn = require("uvicorn", "playground")
    uvicorn.run(create_app(), host=host, port=port, log_level=log_level)
