"""The one error of the team stack: a sentence saying what failed, shown as one line."""

from __future__ import annotations

from ..errors import MLOpsError


class TeamError(MLOpsError):
    code = "team"


class ServiceFailed(TeamError):
    """A service that exited or never answered: `name` says which."""

    def __init__(self, name: str, reason: str):
        super().__init__(reason)
        self.name = name
