"""Every file of one job execution, computed in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import MLOpsConfig


@dataclass(frozen=True)
class ExecutionPaths:
    config: MLOpsConfig
    execution_id: str
    notebook_path: str  # as the spec holds it: relative to the server root

    @classmethod
    def of(cls, config: MLOpsConfig, execution) -> ExecutionPaths:
        return cls(config, execution.id, execution.spec["notebook"])

    @property
    def folder(self) -> Path:
        """Under the home, by execution: its log and output notebook."""
        return self.config.home / "jobs" / self.execution_id

    @property
    def log(self) -> Path:
        return self.folder / "log.txt"

    @property
    def output(self) -> Path:
        return self.folder / Path(self.notebook_path).name

    @property
    def output_relative(self) -> str:
        return str(self.output.relative_to(self.config.root_dir))

    @property
    def notebook(self) -> Path:
        """The notebook to run, checked again to lie inside the root when it runs: a spec
        is validated at submission, but the row could have been written by anyone with
        access to the state DB."""
        return self.config.under_root(self.notebook_path, "notebook")

    @staticmethod
    def pool_log(config: MLOpsConfig) -> Path:
        """Warm workers' output while they wait for a job."""
        return config.home / "jobs" / "pool.log"
