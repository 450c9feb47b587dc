"""The state DB: what MLflow has no place for (jobs, deployments, features, the agent lease)."""

from .db import StateStore

__all__ = ["StateStore"]
