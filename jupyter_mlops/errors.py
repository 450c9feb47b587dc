"""Domain errors, raised by the services and mapped to answers once per door.

The server maps them to HTTP codes in one base handler, the magics to a short
message, the CLI to an exit status; the services never know which door called.
"""

from __future__ import annotations

from .redact import redact_text


class MLOpsError(Exception):
    """Base of every error a user can act on. Its message is safe to show."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None):
        # Safe to show because masked here, once for every door: a message may quote
        # a URL with its password (MLflow's "API request to https://user:token@...").
        message = redact_text(message)
        super().__init__(message)
        self.message = message
        # Dotted path of the offending input (`resources.gpus`), when there is one.
        self.field = field

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body


class InvalidInput(MLOpsError):
    code = "invalid_input"


class NotFound(MLOpsError):
    code = "not_found"


class Conflict(MLOpsError):
    code = "conflict"


class StoreUnavailable(MLOpsError):
    """A store cannot be read or written (full disk, read-only file, not a database).
    Nothing the request did wrong: retrying once the store is fixed succeeds."""

    code = "store_unavailable"

    def __init__(self, what: str, reason: str):
        super().__init__(f"{what} is unusable: {reason}")
        # `<what went wrong> (<where>)`, for a log that already says which store.
        self.reason = reason
