"""Batch scoring: a registered model's predictions for a whole dataset, as a job.

A scoring request is checked whole before anything is stored (the model resolves, the
input lies in the root and is parquet or CSV, the output name is plain), then submitted
as a job of the scoring notebook (notebook.py) through the jobs area, the one owner of
job lifecycles: retries, schedules and executors are a job's.
"""

from __future__ import annotations

from .. import schemas
from ..config import MLOpsConfig
from ..errors import InvalidInput
from ..jobs.service import Jobs
from ..registry.service import Registry
from . import notebook
from .batch import input_columns
from .outputs import Outputs, check_name

EXPERIMENT = "scoring"
KIND_TAG = "mlops.job.kind"


class Scoring:
    def __init__(self, config: MLOpsConfig, jobs: Jobs, registry: Registry):
        self.config = config
        self.jobs = jobs
        self.registry = registry
        self.outputs = Outputs(config.home)

    def submit(self, body: dict) -> dict:
        """Queue the scoring job (or its schedule): what `Jobs.submit` answers."""
        return self.jobs.submit(self.job_spec(body))

    def run_here(self, body: dict) -> dict:
        """Score now, in this process (the CLI's `--here`): the execution as it ended."""
        return self.jobs.run_here(self.job_spec(body))

    def job_spec(self, body: dict) -> dict:
        """The job spec body of a scoring request, or InvalidInput naming the field."""
        request = schemas.validate("score-request", body)
        source = self.config.under_root(request["input"], "input")
        if not source.exists():
            raise InvalidInput(f"no file or folder at {request['input']!r}", field="input")
        output = check_name(request["output"])
        pinned, version = self.registry.pin(request["model"], field="model")
        columns = input_columns(source)
        for key in request.get("keys", []):
            if key not in columns:
                raise InvalidInput(f"the input has no key column {key!r}", field="keys")
        if version is not None:  # pin parses a models:/ URI; the version must exist too
            name = pinned.removeprefix("models:/").rsplit("/", 1)[0]
            self.registry.version_of(name, version=version, field="model")
            self._check_columns(name, version, columns)
        # Now: the alias as it is now, so the run names the version that scored.
        # Scheduled: the alias as it is at each run (tonight's champion).
        model = request["model"] if "schedule" in request else pinned
        spec = {
            "notebook": notebook.ensure(self.config),
            "name": f"score-{output}",
            "experiment": request.get("experiment") or EXPERIMENT,
            "parameters": {
                "model_uri": model,
                "input_path": str(source.relative_to(self.config.root_dir)),
                "output": output,
                "batch_rows": request.get("batch_rows", 100_000),
                "keys": request.get("keys", []),
            },
            "tags": {KIND_TAG: "score"},
        }
        for key in ("timeout", "retry", "schedule"):
            if key in request:
                spec[key] = request[key]
        return spec

    def _check_columns(self, name: str, version: str, columns: list[str]) -> None:
        """Refuse an input without a column the version's signature takes (the job would
        fail at its first batch; a batch's bad values are found as the job reads them)."""
        model, _ = self.registry.mlmodel(name, version)
        schema = model.get_input_schema()
        if schema is None or not schema.has_input_names():
            return
        for column in schema.required_input_names():
            if column not in columns:
                raise InvalidInput(
                    f"the input has no column {column!r}, which {name} version {version} takes",
                    field="input",
                )

    def output_versions(self, name: str) -> list[dict]:
        return self.outputs.versions(name)

    def output_names(self) -> list[dict]:
        return self.outputs.names()
