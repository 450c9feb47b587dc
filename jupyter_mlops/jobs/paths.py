"""Every file of one job execution, computed in one place.

Where the agent's host runs it, under the home; where a cluster runs it (executor
"ray"), in the job's working directory: a copy of the notebook's folder, with the log and
output notebook beside it (the output is then kept as an artifact of the MLflow run).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import MLOpsConfig
from ..errors import InvalidInput

# In a cluster job's working directory: its log and output notebook, by execution.
CLUSTER_DIR = ".mlops-job"


@dataclass(frozen=True)
class ExecutionPaths:
    config: MLOpsConfig
    execution_id: str
    notebook_path: str  # as the spec holds it: relative to the server root
    workdir: Path | None = None  # on a cluster: the job's copy of the notebook's folder

    @classmethod
    def of(cls, config: MLOpsConfig, execution, workdir: Path | None = None) -> ExecutionPaths:
        return cls(config, execution.id, execution.spec["notebook"], workdir)

    @property
    def folder(self) -> Path:
        """Under the home, by execution: its log and output notebook. The id is one plain
        name, checked here because a row written straight into the state DB could hold
        `../..` and so place the log and output notebook anywhere."""
        jobs = self.config.home / "jobs" if self.workdir is None else self.workdir / CLUSTER_DIR
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
        if self.workdir is None:
            notebook = self.config.under_root(self.notebook_path, "notebook")
        else:
            notebook = (self.workdir / Path(self.notebook_path).name).resolve()
            if not notebook.is_relative_to(self.workdir.resolve()):
                raise InvalidInput(
                    f"{self.notebook_path!r} leaves the job's folder", field="notebook"
                )
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
