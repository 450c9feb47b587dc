"""Batch scoring: a registered model's predictions for a whole dataset, as a job.

A scoring request is checked whole before anything is stored (the model resolves, the
input lies in the root and is parquet or CSV, the output name is plain), then submitted
as a job of the scoring notebook (notebook.py) through the jobs area, the one owner of
job lifecycles: retries, schedules and executors are a job's.

The input is a file (the rows the model takes), or a feature service and an entity file
(`{feature_service, entities, timestamp_field}`, as a gate's holdout): the job joins each
batch of entity rows to the service's features as of each row's time, then scores it.
What a service is (its version, entity keys and feature columns) is the feature store's:
it comes in as `feature_service(name)`, wired by the composition root.
"""

from __future__ import annotations

from collections.abc import Callable

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
TIMESTAMP_FIELD = "event_timestamp"


class Scoring:
    def __init__(
        self,
        config: MLOpsConfig,
        jobs: Jobs,
        registry: Registry,
        feature_service: Callable[[str], dict] | None = None,
    ):
        """`feature_service(name)`: the service's {name, version, join_keys, features},
        or NotFound (None: only file inputs)."""
        self.config = config
        self.jobs = jobs
        self.registry = registry
        self.feature_service = feature_service
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
        given = request["input"]
        joined = self._check_entities(given) if isinstance(given, dict) else None
        if joined is None:
            source = self.config.under_root(given, "input")
            if not source.exists():
                raise InvalidInput(f"no file or folder at {given!r}", field="input")
            columns, field = input_columns(source), "input"
        else:
            source, columns, field = joined["path"], joined["columns"], "input.feature_service"
        output = check_name(request["output"])
        pinned, version = self.registry.pin(request["model"], field="model")
        for key in request.get("keys", []):
            if key not in (joined["entity_columns"] if joined else columns):
                raise InvalidInput(f"the input has no key column {key!r}", field="keys")
        if version is not None:  # pin parses a models:/ URI; the version must exist too
            name = pinned.removeprefix("models:/").rsplit("/", 1)[0]
            self.registry.version_of(name, version=version, field="model")
            self._check_columns(name, version, columns, field)
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
                "feature_service": joined["service"] if joined else "",
                "timestamp_field": joined["timestamp_field"] if joined else "",
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

    def _check_entities(self, given: dict) -> dict:
        """An entity-file input, checked against its feature service: the service exists,
        the file is in the root and readable, with the service's entity keys and the
        timestamp field. What the job will score: the file's columns and the features."""
        if self.feature_service is None:
            raise InvalidInput(
                "feature service inputs need the feature store", field="input.feature_service"
            )
        service = self.feature_service(given["feature_service"])
        path = self.config.under_root(given["entities"], "input.entities")
        if not path.is_file():
            raise InvalidInput(
                f"no file {given['entities']!r} under the server root", field="input.entities"
            )
        try:
            entity_columns = input_columns(path)
        except InvalidInput as err:
            raise InvalidInput(err.message, field="input.entities") from None
        timestamp = given.get("timestamp_field", TIMESTAMP_FIELD)
        for column in [*service["join_keys"], timestamp]:
            if column not in entity_columns:
                what = "timestamp field" if column == timestamp else "entity key column"
                raise InvalidInput(
                    f"{given['entities']!r} has no {what} {column!r}, which feature service "
                    f"{service['name']!r} joins on",
                    field="input.entities",
                )
        return {
            "service": service["name"],
            "version": service["version"],
            "timestamp_field": timestamp,
            "path": path,
            "entity_columns": entity_columns,
            "columns": [*entity_columns, *service["features"]],
        }

    def _check_columns(self, name: str, version: str, columns: list[str], field: str) -> None:
        """Refuse an input without a column the version's signature takes (the job would
        fail at its first batch; a batch's bad values are found as the job reads them)."""
        model, _ = self.registry.mlmodel(name, version)
        schema = model.get_input_schema()
        if schema is None or not schema.has_input_names():
            return
        for column in schema.required_input_names():
            if column not in columns:
                what = "input" if field == "input" else "feature service (nor the entity file)"
                raise InvalidInput(
                    f"the {what} has no column {column!r}, which {name} version {version} takes",
                    field=field,
                )

    def output_versions(self, name: str) -> list[dict]:
        return self.outputs.versions(name)

    def output_names(self) -> list[dict]:
        return self.outputs.names()
