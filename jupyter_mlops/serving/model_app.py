"""The serving process's HTTP face: health, readiness, MLflow-compatible predictions.

HTTP is served from the start; the model loads in a thread meanwhile, then predicts
its saved input example, and only then is the process ready (`/invocations` answers
503 only while the model loads: a model whose example failed still takes requests,
and `/ready` says why it is not ready). Every request's work runs in the thread pool,
body parsing included, one hop from the event loop, which keeps answering `/health`
while a large batch is read.

Every `/invocations` answer, errors included, carries an `X-Request-Id`: the client's own
when it sent a fit one, else a new one. With a log folder, each answered prediction is
logged under that id (see prediction_log.py), marked shadow when the request carried
`X-MLOps-Shadow: 1` (the copies a traffic router sends to a candidate model).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import MLOpsError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
# Predictions mostly hold the GIL, so more threads add no speed for them; these are
# for models that wait (on I/O, in native code) so that one slow call blocks no other.
DEFAULT_THREADS = 32
# A request body larger than this is refused with 413 before it is held in memory: a
# 30 MB CSV grew the process by 500 MB on its way to a frame.
DEFAULT_MAX_BODY_MB = 64
_STATUS = {"unsupported_content_type": 415}
# Marks an answer whose model raised, for the router's error counts (router.MODEL_ERROR).
MODEL_ERROR_HEADER = "X-MLOps-Model-Error"
# What a client's id may be to be taken as is: it goes into logs and back into headers.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class ServingApp:
    """`loader()` returns the predictor (see predictor.py) in a worker thread; `on_fatal`
    hears why the process cannot serve at all (the model did not load)."""

    def __init__(
        self,
        model_uri: str,
        loader: Callable[[], Any],
        *,
        name: str | None = None,
        request_timeout: float = DEFAULT_TIMEOUT,
        threads: int = DEFAULT_THREADS,
        max_body_mb: float = DEFAULT_MAX_BODY_MB,
        on_fatal: Callable[[str], None] | None = None,
        log_dir: str | Path | None = None,
    ):
        self.model_uri = model_uri
        self.name = name
        self.request_timeout = request_timeout
        self.max_body_mb = max_body_mb
        self.max_body_bytes = int(max_body_mb * 2**20)
        self.on_fatal = on_fatal
        self.predictor = None
        self.log_dir = log_dir
        self.prediction_log = None  # opened once the model has loaded: it knows the version
        self.ready = False
        self.reason = "loading the model"
        self._loader = loader
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="predict")
        self.asgi = Starlette(
            routes=[
                Route("/health", self.health, methods=["GET"]),
                Route("/ping", self.health, methods=["GET"]),  # MLflow's name for it
                Route("/ready", self.readiness, methods=["GET"]),
                Route("/invocations", self.invocations, methods=["POST"]),
            ],
            lifespan=self._lifespan,
        )

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readiness(self, request: Request) -> Response:
        predictor = self.predictor
        body = {
            "ready": self.ready,
            "name": self.name,
            "model_uri": self.model_uri,
            "model_version": predictor.version if predictor else None,
            "run_id": predictor.run_id if predictor else None,
        }
        if not self.ready:
            body["reason"] = self.reason
        return JSONResponse(body, 200 if self.ready else 503)

    async def invocations(self, request: Request) -> Response:
        arrived_us = time.time_ns() // 1000
        headers = {"X-Request-Id": request_id(request.headers.get("x-request-id"))}
        predictor = self.predictor
        if predictor is None:
            return _error(503, "not_ready", self.reason, headers)
        body = await self._bounded_body(request)
        if body is None:
            return _error(
                413,
                "too_large",
                f"the body is larger than {self.max_body_mb:g} MiB (the deployment's max_body_mb)",
                headers,
            )
        plog = self.prediction_log
        work = asyncio.get_running_loop().run_in_executor(
            self._executor,
            _timed_invoke,
            predictor,
            body,
            request.headers.get("content-type"),
            plog is not None,
        )
        try:
            answer, seconds = await asyncio.wait_for(work, self.request_timeout)
        except asyncio.TimeoutError:
            # The thread cannot be stopped; it finishes unseen and frees its slot.
            return _error(
                503,
                "timeout",
                f"the prediction took longer than {self.request_timeout:g} s",
                headers,
            )
        except MLOpsError as err:
            if err.code == "model_failed":
                headers = {**headers, MODEL_ERROR_HEADER: "1"}
            return JSONResponse(err.to_dict(), _STATUS.get(err.code, 400), headers)
        except Exception:
            log.exception("a request failed")
            return _error(500, "internal", "the serving process failed; see its log", headers)
        if plog is not None:
            try:
                plog.record(
                    headers["X-Request-Id"],
                    answer.inputs,
                    answer.predictions,
                    seconds * 1e3,
                    request.headers.get("x-mlops-shadow") == "1",
                    arrived_us,
                )
            except Exception:  # the log is never worth a failed request
                log.exception("a prediction was not logged")
        return Response(answer.body, media_type="application/json", headers=headers)

    async def _bounded_body(self, request: Request) -> bytes | None:
        """The body, or None once it is known to pass the limit: by its Content-Length
        before reading anything, else (chunked) as soon as the chunks read pass it."""
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_bytes:
            return None
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    @asynccontextmanager
    async def _lifespan(self, app):
        loading = asyncio.create_task(self._load())
        try:
            yield
        finally:
            # Reached once in-flight requests are answered (uvicorn waits for them).
            loading.cancel()
            self._executor.shutdown(wait=False, cancel_futures=True)
            if self.prediction_log is not None:
                await asyncio.to_thread(self.prediction_log.close)

    async def _load(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            predictor = await loop.run_in_executor(self._executor, self._loader)
        except Exception as err:
            self.reason = f"cannot load model {self.model_uri}: {one_line(err)}"
            log.debug("loading failed", exc_info=True)
            if self.on_fatal is not None:
                self.on_fatal(self.reason)
            return
        if self.log_dir is not None:
            # In a worker: the log's first import of pyarrow would stall the loop.
            self.prediction_log = await loop.run_in_executor(
                self._executor, _open_log, self.log_dir, predictor.version
            )
        self.predictor = predictor
        self.reason = "testing a prediction on the model's input example"
        try:
            await loop.run_in_executor(self._executor, predictor.warm_up)
            failure = None
        except Exception as err:
            failure = f"the test prediction on the input example failed: {one_line(err)}"
        await loop.run_in_executor(self._executor, _freeze_heap)
        if failure is not None:
            self.reason = failure
            log.error("%s", failure)
            return
        self.ready = True
        log.info("ready: %s (version %s)", self.model_uri, predictor.version)


def _timed_invoke(predictor, body: bytes, content_type: str | None, keep_input: bool):
    started = time.perf_counter()
    answer = predictor.invoke(body, content_type, keep_input)
    return answer, time.perf_counter() - started


def _open_log(folder: str | Path, version: str | None):
    # The flush thread's import, paid before ready rather than in a request's time.
    import pyarrow.parquet  # noqa: F401

    from .prediction_log import PredictionLog

    return PredictionLog(folder, version)


def request_id(given: str | None) -> str:
    """The client's X-Request-Id when it is 1..128 of [A-Za-z0-9._:-], else a new one."""
    if given is not None and _REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def _freeze_heap() -> None:
    # A full collection walks every object MLflow, pandas and the model made (0.2 s
    # measured): out of the collector's sight, they cannot stall a request for that long.
    gc.collect()
    gc.freeze()


def one_line(err: BaseException) -> str:
    message = getattr(err, "message", None) or str(err)
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


def _error(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    return JSONResponse({"code": code, "message": message}, status, headers)
