"""Domain errors, raised by the services and mapped to answers once per door.

The server maps them to HTTP codes in one base handler, the magics to a short
message, the CLI to an exit status; the services never know which door called.
"""

from __future__ import annotations


class MLOpsError(Exception):
    """Base of every error a user can act on. Its message is safe to show."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None):
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
