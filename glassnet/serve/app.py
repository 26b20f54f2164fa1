"""The prediction server's FastAPI application: ``POST /predict``, ``GET /health``,
``GET /metadata``, OpenAPI docs at ``/docs``.

Every request body is read here, with its size counted against the limit (413 past it), parsed
as strict JSON (NaN and Infinity are refused) and checked by ``Predictor.parse``; anything wrong
is a 4xx reply ``{"error": {"code": ..., "message": ...}}`` that says what, never a 5xx.

>>> import tempfile
>>> from glassnet.recipes import get
>>> from glassnet.recipes.runner import train
>>> from fastapi.testclient import TestClient
>>> run = train(get("iris-mlp").replace(epochs=1), tempfile.mkdtemp(), progress=False)
>>> with TestClient(create_app(run.run_dir)) as client:
...     reply = client.post("/predict", json={"inputs": [[5.1, 3.5, 1.4, 0.2]]})
...     bad = client.post("/predict", json={"inputs": [[5.1, "x", 1.4, 0.2]]})
>>> reply.status_code, sorted(reply.json()), bad.status_code
(200, ['classes', 'predictions', 'probabilities'], 422)
>>> bad.json()["error"]["message"]
'inputs[0][1] is a string; every value must be a number'
"""

# No ``from __future__ import annotations`` here: FastAPI reads the handlers' annotations
# (fastapi.Request, made inside create_app) as objects.
import contextlib
import json
import os

from glassnet import kernels
from glassnet._optional import require
from glassnet.serve.batcher import MicroBatcher
from glassnet.serve.predictor import InputError, Predictor

DEFAULT_MAX_BODY_MB = 4.0
SETTINGS_ENV = "GLASSNET_SERVE_SETTINGS"  # how `--workers N` hands the settings to each worker

_REQUEST_SCHEMA = {
    "type": "object",
    "required": ["inputs"],
    "additionalProperties": False,
    "properties": {
        "inputs": {
            "type": "array",
            "minItems": 1,
            "description": "samples: a list of raw feature values each (or nested like one "
            "sample), a {column: value} object for a table run, a base64 PNG string for "
            "image recipes, a string or a list of token ids for text runs",
            "items": {
                "anyOf": [
                    {"type": "array"},
                    {"type": "object"},
                    {"type": "string", "format": "base64"},
                ]
            },
        }
    },
    "example": {"inputs": [[5.1, 3.5, 1.4, 0.2]]},
}


def _reject_constant(name):
    raise InputError(
        f"the JSON holds {name}; every value must be a finite number", code="not_finite"
    )


def create_app(
    run_dir,
    *,
    max_batch: int = 64,
    max_wait_ms: float = 2.0,
    max_body_mb: float = DEFAULT_MAX_BODY_MB,
    max_rows: int = 1024,
):
    """The application serving the trained run in ``run_dir`` (loaded once, read-only)."""
    fastapi = require("fastapi", "serve")
    pydantic = require("pydantic", "serve")
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException

    predictor = Predictor(run_dir, max_rows=max_rows)
    batcher = MicroBatcher(predictor.predict, max_batch=max_batch, max_wait_ms=max_wait_ms)
    max_body = int(max_body_mb * 1024 * 1024)

    class PredictReply(pydantic.BaseModel):
        predictions: list
        probabilities: list | None = None
        classes: list | None = None

    class ErrorDetail(pydantic.BaseModel):
        code: str
        message: str

    class ErrorReply(pydantic.BaseModel):
        error: ErrorDetail

    @contextlib.asynccontextmanager
    async def lifespan(app):
        # numba's kernels compile (or load from its cache) now, so the first request does not
        # wait a second or two for them
        kernels.preload()
        await batcher.start()
        try:
            yield
        finally:
            await batcher.stop()

    app = fastapi.FastAPI(
        title=f"glassnet: {predictor.recipe.name}",
        description=f"Predictions of the trained glassnet recipe {predictor.recipe.name!r} "
        f"({predictor.recipe.task}). Send raw inputs: the recipe's preprocessing runs here.",
        lifespan=lifespan,
    )
    app.state.predictor, app.state.batcher = predictor, batcher

    def error(status, code, message):
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)

    @app.exception_handler(HTTPException)
    async def http_error(request, exc):  # 404, 405 in the same shape as the others
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(InputError)
    async def input_error(request, exc):
        return error(exc.status, exc.code, str(exc))

    async def read_body(request):
        length = request.headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise InputError("the Content-Length header is not a number", 400, "bad_request")
            if int(length) > max_body:
                raise InputError(_too_large(int(length), max_body), 413, "body_too_large")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body:
                raise InputError(_too_large(size, max_body), 413, "body_too_large")
            chunks.append(chunk)
        return b"".join(chunks)

    async def read_json(request):
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise InputError(
                f"the body must be JSON sent as Content-Type: application/json, got "
                f"{kind or 'no Content-Type'}",
                415,
                "unsupported_media_type",
            )
        body = await read_body(request)
        if not body.strip():
            raise InputError('the body is empty; send {"inputs": [...]}', 400, "bad_json")
        try:
            payload = json.loads(body, parse_constant=_reject_constant)
        except InputError:
            raise
        except (ValueError, RecursionError) as exc:
            raise InputError(f"the body is not valid JSON ({exc})", 400, "bad_json") from None
        if not isinstance(payload, dict):
            raise InputError('the body must be a JSON object: {"inputs": [...]}')
        return payload

    @app.get("/health", summary="Liveness: the model is loaded")
    async def health():
        return {"status": "ok", "recipe": predictor.recipe.name}

    @app.get("/metadata", summary="Input shape, classes, preprocessing, model hash")
    async def metadata():
        info = predictor.metadata()
        info["server"] = {
            "max_batch": batcher.max_batch,
            "max_wait_ms": batcher.max_wait * 1000,
            "max_body_bytes": max_body,
            "max_samples_per_request": predictor.max_rows,
            "forward_passes": batcher.batches,  # so far: samples / passes is the mean batch
            "samples_answered": batcher.rows,
        }
        return info

    @app.post(
        "/predict",
        summary="Predictions for a list of raw samples",
        response_model=PredictReply,
        responses={
            400: {"model": ErrorReply, "description": "not JSON"},
            413: {"model": ErrorReply, "description": "body or sample count too large"},
            415: {"model": ErrorReply, "description": "not application/json"},
            422: {"model": ErrorReply, "description": "JSON that is not valid input"},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _REQUEST_SCHEMA}},
            }
        },
    )
    async def predict(request: fastapi.Request):
        payload = await read_json(request)
        unknown = sorted(set(payload) - {"inputs"})
        if unknown:
            raise InputError(f"unknown field(s) {unknown}; the only field is 'inputs'")
        if "inputs" not in payload:
            raise InputError("the field 'inputs' is missing")
        try:
            x = predictor.parse(payload["inputs"])
        except RecursionError:
            raise InputError("'inputs' is nested far too deeply") from None
        preds = await batcher.submit(x)
        return JSONResponse(predictor.answer(preds))

    if predictor.owndata is not None and predictor.owndata.kind == "lm":
        _generate_route(app, fastapi, predictor, batcher, read_json)

    return app


def _generate_route(app, fastapi, predictor, batcher, read_json):
    """``POST /generate {"prompt": ..., "length": 200, "temperature": 0.8, "seed": 0}`` for a
    language model: ``{"text": ...}``, what ``glassnet predict RUN FILE`` prints for that
    prompt (the last ``context`` characters of the prompt, then the sampled ones)."""
    import asyncio

    from glassnet.serve.owndata import generate

    fields = {"prompt": str, "length": int, "temperature": (int, float), "seed": int}

    @app.post("/generate", summary="Continue a prompt with the run's language model")
    async def generate_text(request: fastapi.Request):
        payload = await read_json(request)
        unknown = sorted(set(payload) - set(fields))
        if unknown:
            raise InputError(f"unknown field(s) {unknown}; the fields are {list(fields)}")
        if "prompt" not in payload:
            raise InputError("the field 'prompt' is missing (a string to continue)")
        for name, kind in fields.items():
            v = payload.get(name)
            if name in payload and (type(v) is bool or not isinstance(v, kind)):
                raise InputError(f"'{name}' must be a {_type_name(kind)}, got {v!r}")
        length, temperature = payload.get("length", 200), payload.get("temperature", 0.8)
        if not 1 <= length <= MAX_GENERATE:
            raise InputError(f"'length' must be 1..{MAX_GENERATE}, got {length}")
        if not temperature > 0:
            raise InputError(f"'temperature' must be above 0, got {temperature}")
        if len(payload["prompt"]) > 100_000:
            raise InputError("'prompt' is longer than 100000 characters", 413, "too_large")
        seed = payload.get("seed", 0)
        if not 0 <= seed < 2**63:
            raise InputError(f"'seed' must be 0..2**63-1, got {seed}")
        loop = asyncio.get_running_loop()
        # on the model's own thread, so it never runs concurrently with a batch
        text = await loop.run_in_executor(
            batcher._executor,
            lambda: generate(predictor.run, payload["prompt"], length, float(temperature), seed),
        )
        return {"text": text}


MAX_GENERATE = 2000


def _type_name(kind):
    return "number" if isinstance(kind, tuple) else {str: "string", int: "whole number"}[kind]


def _too_large(size, limit):
    return (
        f"the body is {size} bytes or more; the limit is {limit} bytes "
        "(start the server with a larger --max-body-mb, or send fewer samples per request)"
    )


def app_from_environment():
    """The app for one of several uvicorn workers: settings from ``GLASSNET_SERVE_SETTINGS``."""
    settings = json.loads(os.environ[SETTINGS_ENV])
    run_dir = settings.pop("run_dir")
    return create_app(run_dir, **settings)
