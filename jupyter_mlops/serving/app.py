"""The serving process's HTTP face: health, readiness, MLflow-compatible predictions.

HTTP is served from the start; the model loads in a thread meanwhile, then predicts
its saved input example, and only then is the process ready (`/invocations` answers
503 only while the model loads: a model whose example failed still takes requests,
and `/ready` says why it is not ready). Every request's work runs in the thread pool,
body parsing included, one hop from the event loop, which keeps answering `/health`
while a large batch is read.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
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
_STATUS = {"unsupported_content_type": 415}


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
        on_fatal: Callable[[str], None] | None = None,
    ):
        self.model_uri = model_uri
        self.name = name
        self.request_timeout = request_timeout
        self.on_fatal = on_fatal
        self.predictor = None
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
        predictor = self.predictor
        if predictor is None:
            return _error(503, "not_ready", self.reason)
        body = await request.body()
        work = asyncio.get_running_loop().run_in_executor(
            self._executor, predictor.invoke, body, request.headers.get("content-type")
        )
        try:
            answer = await asyncio.wait_for(work, self.request_timeout)
        except asyncio.TimeoutError:
            # The thread cannot be stopped; it finishes unseen and frees its slot.
            return _error(
                503, "timeout", f"the prediction took longer than {self.request_timeout:g} s"
            )
        except MLOpsError as err:
            return JSONResponse(err.to_dict(), _STATUS.get(err.code, 400))
        except Exception:
            log.exception("a request failed")
            return _error(500, "internal", "the serving process failed; see its log")
        return Response(answer, media_type="application/json")

    @asynccontextmanager
    async def _lifespan(self, app):
        loading = asyncio.create_task(self._load())
        try:
            yield
        finally:
            # Reached once in-flight requests are answered (uvicorn waits for them).
            loading.cancel()
            self._executor.shutdown(wait=False, cancel_futures=True)

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


def _freeze_heap() -> None:
    # A full collection walks every object MLflow, pandas and the model made (0.2 s
    # measured): out of the collector's sight, they cannot stall a request for that long.
    gc.collect()
    gc.freeze()


def one_line(err: BaseException) -> str:
    message = getattr(err, "message", None) or str(err)
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"code": code, "message": message}, status)
