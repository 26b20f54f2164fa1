"""glassnet.serve: a trained run folder as an HTTP prediction service (optional extra
``[serve]``: FastAPI served by uvicorn).

``glassnet serve RUN_DIR`` (or ``serve(run_dir)``) answers ``POST /predict`` with
``{"inputs": [sample, ...]}`` of raw samples, runs the recipe's fitted preprocessing, batches
concurrent requests into one forward pass, and refuses bad input with a 4xx JSON error. See
docs/deploy.md.
"""

from __future__ import annotations

import json
import os

from glassnet._optional import require
from glassnet.serve.app import DEFAULT_MAX_BODY_MB, SETTINGS_ENV, create_app
from glassnet.serve.batcher import MicroBatcher
from glassnet.serve.predictor import InputError, Predictor

__all__ = ["serve", "create_app", "Predictor", "MicroBatcher", "InputError"]


def serve(
    run_dir,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    max_batch: int = 64,
    max_wait_ms: float = 2.0,
    max_body_mb: float = DEFAULT_MAX_BODY_MB,
    log_level: str = "info",
):
    """Serve ``run_dir`` until interrupted. With ``workers`` > 1 each uvicorn worker process
    loads the model once and batches its own requests."""
    uvicorn = require("uvicorn", "serve")
    settings = {"max_batch": max_batch, "max_wait_ms": max_wait_ms, "max_body_mb": max_body_mb}
    options = {"host": host, "port": port, "log_level": log_level, "access_log": False}
    if workers > 1:
        os.environ[SETTINGS_ENV] = json.dumps({"run_dir": os.path.abspath(run_dir), **settings})
        uvicorn.run(
            "glassnet.serve.app:app_from_environment", factory=True, workers=workers, **options
        )
    else:
        uvicorn.run(create_app(run_dir, **settings), **options)
