"""The base handler every route uses: auth resource, JSON replies, error mapping."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from http.client import responses
from typing import Any, TypeVar

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado.web import HTTPError

from .. import schemas
from ..errors import Conflict, InvalidInput, MLOpsError, NotFound, StoreUnavailable
from ..services import Services
from .operations import Operation

T = TypeVar("T")

# Domain errors map to HTTP here and nowhere else.
STATUS_OF_ERROR: dict[type[MLOpsError], int] = {
    InvalidInput: 400,
    NotFound: 404,
    Conflict: 409,
    StoreUnavailable: 503,  # a full disk, a read-only DB: not the request's fault
}


MAX_PATH_PART = 255


class MLOpsHandler(ExtensionHandlerMixin, APIHandler):
    """Subclasses set `auth_resource = "jupyter_mlops:<area>"` and decorate every verb
    with `@tornado.web.authenticated` then `@authorized`."""

    auth_resource = "jupyter_mlops"

    def initialize(
        self, name: str, operations: dict[str, Operation] | None = None, path: str = "", **kw
    ) -> None:
        # What the route table says of this route (see `operations.route`).
        self.operations = operations or {}
        self.route_path = path
        super().initialize(name, **kw)

    async def prepare(self, *args: Any, **kwargs: Any) -> None:
        await super().prepare(*args, **kwargs)
        # Names and ids in the path become file names and SQL values further in: one
        # longer than a file name may be (255 bytes) failed there, as a 500.
        for name, value in self.path_kwargs.items():
            if len(value.encode()) > MAX_PATH_PART:
                raise InvalidInput(
                    f"{name} is longer than {MAX_PATH_PART} bytes ({len(value.encode())})",
                    field=name,
                )

    @property
    def services(self) -> Services:
        return self.extensionapp.services

    async def blocking(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run store and MLflow work in a thread: it must never block the event loop."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    def wake_agent(self) -> None:
        """Work this request queued (a job, a deployment, a cancel) is acted on now when
        this server hosts the agent; another process's agent sees it at its next step."""
        if self.extensionapp.agent is not None:
            self.extensionapp.agent.wake()

    def reply(self, body: Any, status: int = 200) -> None:
        text = json.dumps(body)
        if self.extensionapp.validate_responses:
            self.check_answer(text, status)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(text)

    def no_content(self) -> None:
        """A 204: done, nothing to answer."""
        if self.extensionapp.validate_responses:
            self.check_answer(None, 204)
        self.set_status(204)
        self.finish()

    def check_answer(self, text: str | None, status: int) -> None:
        """Fail loudly when an answer (`text`, the JSON sent) is not what the route's
        description promises: the test suite turns this on, so every answer it gets
        checks a response schema. (Synchronous: a check of tests and development
        servers, not of production.)"""
        verb = self.request.method or ""
        op = self.operations.get(verb.lower())
        if op is None:
            problem = "the route table describes no such operation"
        elif status != op.status:
            problem = f"answered {status}; the route table says {op.status}"
        elif op.response is None:
            problem = None if text is None else "answered a body; the route table says none"
        else:
            problem = _json_problem(text) or schemas.response_problem(op.response, json.loads(text))
        if problem is not None:
            which = op.response if op is not None else None
            message = f"{verb} {self.route_path}: answer does not match {which!r}: {problem}"
            self.log.error("jupyter_mlops: %s", message)
            raise AnswerMismatch(message)

    def body(self, schema: str) -> dict:
        """The JSON body, validated against `jupyter_mlops/schemas/<schema>.json`."""
        return schemas.validate(schema, self.json_body())

    def int_argument(self, name: str, default: int) -> int:
        value = self.get_query_argument(name, None)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise InvalidInput(
                f"{name} must be an integer, not {value[:40]!r}", field=name
            ) from None
        if not -(2**63) <= number < 2**63:
            # Past what the stores hold (SQLite's INTEGER raised OverflowError: a 500).
            raise InvalidInput(f"{name} is out of range", field=name)
        return number

    def json_body(self) -> dict:
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError as err:
            raise InvalidInput(f"request body is not valid JSON: {err}") from None
        except RecursionError:
            # json.loads recurses once a level: thousands of nested brackets exhaust it.
            raise InvalidInput("request body is nested too deeply") from None
        if not isinstance(body, dict):
            raise InvalidInput("request body must be a JSON object")
        return body

    def log_exception(self, typ, value, tb):
        if isinstance(value, MLOpsError):
            # The caller's mistake, answered with a 4xx: no traceback in the log.
            self.log.info("%s %s: %s", self.request.method, self.request.path, value)
            return
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, MLOpsError):
            status_code = _status_of(error)
            body = error.to_dict()
        elif isinstance(error, HTTPError) or error is None:
            reason = responses.get(status_code, "HTTP error")
            message = getattr(error, "log_message", None) or reason
            body = {"code": reason.lower().replace(" ", "_"), "message": message}
        else:
            # Never a traceback or an internal message in the answer; the log has it.
            body = {"code": "internal_error", "message": "Internal error; see the server log."}
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))


def _json_problem(text: str) -> str | None:
    """What makes `text` invalid JSON for a browser (Python writes NaN and Infinity)."""

    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")

    try:
        json.loads(text, parse_constant=refuse)
    except ValueError as err:
        return str(err)
    return None


class AnswerMismatch(Exception):
    """An answer that breaks its route's response schema (`validate_responses`)."""


def _status_of(error: MLOpsError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS_OF_ERROR:
            return STATUS_OF_ERROR[kind]
    return 400
