"""What each route does, as the API description tells it: one `Operation` per HTTP verb
of a handler, given beside the route in `routes.py` (a route without a description of
each of its verbs, or with one of a verb it lacks, is refused as the table is built).

The description serves three uses: the OpenAPI document (`openapi.py`), the check of
every answer against its response schema (`MLOpsHandler.reply` with
`MLOpsApp.validate_responses`), and the tests that hold the two to the handlers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tornado.web import RequestHandler

VERBS = ("get", "post", "put", "patch", "delete")
_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


@dataclass(frozen=True)
class Query:
    """A query-string argument."""

    name: str
    schema: dict  # JSON Schema of its value
    description: str


@dataclass(frozen=True)
class Operation:
    summary: str
    # responses/<name>.json: the body of a success; None for a 204 without one.
    response: str | None
    status: int = 200
    # <name>.json: the request body, validated against it by the handler or its service.
    request: str | None = None
    # A body no schema checks (its service does), described in words instead.
    body: str | None = None
    query: tuple[Query, ...] = ()

    def __post_init__(self):
        if (self.response is None) != (self.status == 204):
            raise ValueError(f"{self.summary!r}: a 204 has no body, any other status one")
        if self.request and self.body:
            raise ValueError(f"{self.summary!r}: a request schema or a body text, not both")


def integer(name: str, description: str, minimum: int = 0) -> Query:
    return Query(name, {"type": "integer", "minimum": minimum}, description)


def string(name: str, description: str) -> Query:
    return Query(name, {"type": "string"}, description)


def verbs_of(handler: type[RequestHandler]) -> set[str]:
    """The HTTP verbs a handler implements (lower case)."""
    return {verb for verb in VERBS if getattr(handler, verb) is not getattr(RequestHandler, verb)}


def path_template(pattern: str) -> str:
    """`/runs/(?P<run_id>[^/]+)` as OpenAPI writes it: `/runs/{run_id}`."""
    return _GROUP.sub(lambda m: "{" + m["name"] + "}", pattern)


def path_parameters(pattern: str) -> list[str]:
    return [m["name"] for m in _GROUP.finditer(pattern)]


def route(pattern: str, handler: type[RequestHandler], **operations: Operation) -> tuple:
    """A route table entry: tornado passes the third item to the handler's `initialize`."""
    if set(operations) != verbs_of(handler):
        raise TypeError(
            f"{handler.__name__} implements {sorted(verbs_of(handler))}; "
            f"describe exactly those, not {sorted(operations)}"
        )
    if _GROUP.sub("", pattern).count("(") or "{" in pattern:
        raise ValueError(f"{pattern}: name every group of a route, (?P<name>...)")
    return (pattern, handler, {"operations": operations, "path": path_template(pattern)})
