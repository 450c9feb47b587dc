"""Every file of one job execution, computed in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import MLOpsConfig
from ..errors import InvalidInput


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
        """Under the home, by execution: its log and output notebook. The id is one plain
        name, checked here because a row written straight into the state DB could hold
        `../..` and so place the log and output notebook anywhere."""
        jobs = self.config.home / "jobs"
        name = self.execution_id
        if not name or name in (".", "..") or "\0" in name or Path(name).name != name:
            raise InvalidInput(f"execution id {name!r} is not a plain name", field="id")
        folder = jobs / name
        if not folder.resolve().is_relative_to(jobs.resolve()):  # a symlink out of the home
            raise InvalidInput(f"the folder of execution {name!r} leaves the home", field="id")
        return folder

    @property
    def log(self) -> Path:
        return self.folder / "log.txt"

    @property
    def output(self) -> Path:
        name = Path(self.notebook_path).name
        if not name.endswith(".ipynb") or "\0" in name:  # so never `..` either
            raise InvalidInput(
                f"{self.notebook_path!r} is not a notebook (.ipynb)", field="notebook"
            )
        return self.folder / name

    @property
    def output_relative(self) -> str:
        return str(self.output.relative_to(self.config.root_dir))

    @property
    def notebook(self) -> Path:
        """The notebook to run, checked again to lie inside the root when it runs: a spec
        is validated at submission, but the row could have been written by anyone with
        access to the state DB."""
        notebook = self.config.under_root(self.notebook_path, "notebook")
        if notebook.suffix != ".ipynb":
            raise InvalidInput(
                f"{self.notebook_path!r} is not a notebook (.ipynb)", field="notebook"
            )
        return notebook

    def check(self) -> None:
        """Raise InvalidInput, before anything runs, unless the notebook, the log and the
        output notebook all lie where they belong (the root; the home's jobs folder)."""
        self.notebook  # noqa: B018
        self.log  # noqa: B018
        self.output  # noqa: B018

    @staticmethod
    def pool_log(config: MLOpsConfig) -> Path:
        """Warm workers' output while they wait for a job."""
        return config.home / "jobs" / "pool.log"
