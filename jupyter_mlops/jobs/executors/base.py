"""What an executor is: where executions run, and what it can do for them.

The scheduler and the lifecycle call only this interface. An executor starts an
execution's worker and says whether it still runs; it never records a status (the
lifecycle owner does: see `lifecycle.py`). Each one declares its features, which the
status route reports, so the UI offers only what works (GPUs, cancel, a live log).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from ...config import MLOpsConfig
    from ...runtime.gpus import GpuInventory
    from ..records import Execution


@dataclass(frozen=True)
class Handle:
    host: str
    pid: int | None
    started: str  # with the pid, identifies the process across agent restarts


@dataclass(frozen=True)
class ExecutorFeatures:
    gpus: bool  # each execution sees exactly the GPUs it was given
    cancel: bool  # a running execution can be stopped
    live_log: bool  # the execution's log can be followed while it runs
    # Each execution may name its own pip requirements, installed for it alone.
    environments: bool = False

    def view(self) -> dict:
        return asdict(self)


class Executor(ABC):
    """Registered by name (see `executors/__init__.py`), built with the configuration."""

    name: ClassVar[str]
    features: ClassVar[ExecutorFeatures]

    def __init__(self, config: MLOpsConfig):
        self.config = config

    @classmethod  # noqa: B027 - a hook: most executors need no setting
    def check(cls, config: MLOpsConfig) -> None:
        """Raise InvalidInput, when the configuration is read, if a setting this executor
        needs is missing (so a server or agent refuses to start, saying which)."""

    @classmethod
    def inventory(cls, config: MLOpsConfig) -> GpuInventory | None:
        """The GPUs jobs may ask for where this executor runs them; None: this host's."""
        return None

    @abstractmethod
    def start(self, execution: Execution) -> Handle:
        """Start the execution's worker (it runs the notebook and records the outcome)
        with exactly `execution.gpu_ids`; raise if it cannot start."""

    @abstractmethod
    def alive(self, handle: Handle) -> bool:
        """Whether the worker behind `handle` still runs (True when only another host
        could tell)."""

    @abstractmethod
    def stop(self, handle: Handle) -> None:
        """Stop the worker and everything it started; return once they are gone."""

    def tick(self) -> None:  # noqa: B027 - a hook: most executors keep nothing between steps
        """Called at each step of the agent that leads (a warm pool refills here)."""

    def close(self) -> None:  # noqa: B027 - a hook, as tick
        """The agent stops leading: let go of what only a leader keeps."""
