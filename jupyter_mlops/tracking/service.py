"""Runs and experiments, as every door sees them. MLflow holds the data."""

from __future__ import annotations

import atexit
import base64
import json
import math
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from ..config import MLOpsConfig
from ..errors import Conflict, InvalidInput, NotFound
from ..lazy import locked_cached_property
from . import artifact_files, lineage
from .client import TrackingConnection, is_database_uri, mlflow_errors
from .logger import MetricLogger, PointRow

if TYPE_CHECKING:  # MLflow is imported on first use: it takes seconds
    from mlflow import MlflowClient
    from mlflow.entities import Run

MAX_PAGE = 1_000
MAX_ARTIFACT_BYTES = 20 * 1024 * 1024
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_BATCH_API_LIMIT = 1_000  # metrics per MLflow log_batch call


class Tracking:
    def __init__(self, config: MLOpsConfig):
        self.config = config
        self._connection = TrackingConnection(
            config.tracking_uri, config.artifact_root, on_reconnect=self._forget_engine
        )
        self._loggers: dict[str, MetricLogger] = {}
        self._lock = threading.Lock()
        atexit.register(self.flush)

    @property
    def client(self) -> MlflowClient:
        # Built on first use; built again if MLflow's sqlite file is deleted or replaced.
        return self._connection.client()

    def _forget_engine(self) -> None:
        engine = self.__dict__.pop("engine", None)
        if engine is not None:
            engine.dispose()

    @locked_cached_property
    def engine(self):
        """A direct engine on MLflow's tables when the store is a SQL database, else None."""
        if not is_database_uri(self.config.tracking_uri):
            return None
        self.client  # noqa: B018 - MLflow creates its tables first
        from . import sqlstore  # MLflow's table models: imported with MLflow

        return sqlstore.make_engine(self.config.tracking_uri)

    # Experiments -----------------------------------------------------------------

    def experiments(self) -> list[dict]:
        with mlflow_errors():
            from mlflow.entities import ViewType

            found = self.client.search_experiments(
                view_type=ViewType.ACTIVE_ONLY, order_by=["name ASC"]
            )
        return [
            {
                "experiment_id": e.experiment_id,
                "name": e.name,
                "artifact_location": e.artifact_location,
                "lifecycle_stage": e.lifecycle_stage,
                "creation_time": e.creation_time,
                "last_update_time": e.last_update_time,
                "tags": dict(e.tags),
            }
            for e in found
        ]

    def experiment_id(self, name: str, *, create: bool = True) -> str:
        """The id of the named experiment; a new one keeps its artifacts under the home."""
        with mlflow_errors(field="experiment"):
            found = self.client.get_experiment_by_name(name)
            if found is not None:
                return found.experiment_id
            if not create:
                raise NotFound(f"no experiment named {name!r}")
            slug = re.sub(r"[^\w.-]+", "-", name).strip("-") or "experiment"
            location = (self.config.artifact_root / slug).as_uri()
            if not is_database_uri(self.config.tracking_uri):
                # A tracking server keeps the artifacts it serves (mlflow-artifacts:/):
                # under this home, other machines of the team could never read them.
                location = None
        try:
            with mlflow_errors(field="experiment"):
                return self.client.create_experiment(name, artifact_location=location)
        except Conflict:
            # Another process (a sweep's jobs, two kernels) created it first: use theirs.
            with mlflow_errors(field="experiment"):
                return self.client.get_experiment_by_name(name).experiment_id

    # Runs --------------------------------------------------------------------------

    def runs(
        self,
        experiment_id: str,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        max_results: int = 100,
        page_token: str | None = None,
    ) -> dict:
        """One page of an experiment's runs, as summaries for lists."""
        if not 1 <= max_results <= MAX_PAGE:
            raise InvalidInput(f"max_results must be 1 to {MAX_PAGE}", field="max_results")
        self._check_experiment(experiment_id)
        if not filter and not order_by and self.engine is not None:
            offset = _offset_of(page_token)
            from . import sqlstore  # MLflow's table models: imported with MLflow

            found = sqlstore.list_runs(self.engine, experiment_id, offset, max_results + 1)
            more = len(found) > max_results
            return {
                "runs": found[:max_results],
                "next_page_token": _token_for(offset + max_results) if more else None,
            }
        # Filters and sort keys are MLflow's language: MLflow parses and runs them.
        if order_by:
            from mlflow.utils.search_utils import SearchUtils

            with mlflow_errors(field="order_by"):
                SearchUtils.parse_order_by_for_search_runs(order_by)
        try:
            with mlflow_errors(field="filter"):
                page = self.client.search_runs(
                    [experiment_id],
                    filter_string=filter or "",
                    order_by=[order_by] if order_by else None,
                    max_results=max_results,
                    page_token=page_token,
                )
        except InvalidInput as err:
            # The store parses its own (opaque) tokens: name the token when it refused it.
            if page_token and "page token" in err.message.lower():
                raise InvalidInput("invalid page token", field="page_token") from None
            raise
        return {"runs": [summary(run) for run in page], "next_page_token": _text(page.token)}

    def all_runs(self, experiment_id: str) -> list[dict]:
        """Every active run of an experiment in one call (the fast path when available)."""
        if self.engine is not None:
            self._check_experiment(experiment_id)
            from . import sqlstore  # MLflow's table models: imported with MLflow

            return sqlstore.list_runs(self.engine, experiment_id, 0, None)
        found, token = [], None
        while True:
            page = self.runs(experiment_id, max_results=MAX_PAGE, page_token=token)
            found += page["runs"]
            token = page["next_page_token"]
            if not token:
                return found

    def get_run(self, run_id: str) -> Run:
        if not _RUN_ID.match(run_id or ""):
            raise NotFound(f"no run {run_id!r}")
        with mlflow_errors():
            return self.client.get_run(run_id)

    def run(self, run_id: str) -> dict:
        """One run with what a run view shows: artifacts, logged models, notebook."""
        found = self.get_run(run_id)
        with mlflow_errors():
            models = self.client.search_logged_models(
                experiment_ids=[found.info.experiment_id],
                filter_string=f"source_run_id = '{run_id}'",
            )
        snapshot = found.data.tags.get(lineage.SNAPSHOT)
        return {
            "run": {
                # One run's answer keeps every tag: only lists leave the heavy ones out.
                **summary(found, heavy=True),
                "description": found.data.tags.get(lineage.DESCRIPTION),
                "artifact_uri": found.info.artifact_uri,
                "lifecycle_stage": found.info.lifecycle_stage,
            },
            "artifacts": self.artifacts(run_id),
            "models": [_model_view(m) for m in models],
            "notebook": {
                "path": found.data.tags.get(lineage.SOURCE_NOTEBOOK),
                "snapshot_path": self._root_relative(found.info.artifact_uri, snapshot),
            },
        }

    def artifacts(self, run_id: str, path: str | None = None) -> list[dict]:
        if path and (path.startswith("/") or ".." in Path(path).parts):
            raise InvalidInput("artifact path must be relative to the run", field="path")
        with mlflow_errors():
            files = self.client.list_artifacts(run_id, path)
        return [{"path": f.path, "is_dir": f.is_dir, "file_size": f.file_size} for f in files]

    def artifact_content(self, run_id: str, path: str) -> dict:
        """One artifact file's content, for viewing in Lab (notebooks, text, small files)."""
        found = self.get_run(run_id)
        if not path or path.startswith("/") or ".." in Path(path).parts:
            raise InvalidInput("artifact path must be relative to the run", field="path")
        from mlflow.artifacts import download_artifacts

        with tempfile.TemporaryDirectory() as tmp, mlflow_errors(field="path"):
            # On this machine: read where it is, once its real path is checked (MLflow's
            # download follows a symlinked folder out of the store).
            local = artifact_files.local_file(found.info.artifact_uri, path) or Path(
                download_artifacts(
                    run_id=run_id,
                    artifact_path=path,
                    dst_path=tmp,
                    tracking_uri=self.config.tracking_uri,
                )
            )
            if local.is_dir():
                raise InvalidInput(f"{path!r} is a folder", field="path")
            size = local.stat().st_size
            if size > MAX_ARTIFACT_BYTES:
                raise InvalidInput(
                    f"{path!r} is {size} bytes; files over {MAX_ARTIFACT_BYTES} are not shown",
                    field="path",
                )
            data = local.read_bytes()
        if path.endswith(".ipynb"):
            try:
                notebook = artifact_files.rejoined(artifact_files.untrusted(json.loads(data)))
                return {"path": path, "format": "json", "content": notebook}
            except ValueError:
                pass
        try:
            return {"path": path, "format": "text", "content": data.decode()}
        except UnicodeDecodeError:
            return {"path": path, "format": "base64", "content": base64.b64encode(data).decode()}

    def metric_history(self, run_id: str, key: str) -> dict:
        self.get_run(run_id)
        with mlflow_errors(field="key"):
            history = self.client.get_metric_history(run_id, key)
        points = sorted(history, key=lambda m: (m.step, m.timestamp))
        return {
            "key": key,
            "points": [
                {"step": m.step, "value": _json_number(m.value), "timestamp": m.timestamp}
                for m in points
            ],
        }

    def log_summary(self, run_id: str, metrics: dict[str, float], tags: dict[str, str]) -> None:
        """Final figures and tags on a run (a search's best, on its parent run)."""
        from mlflow.entities import Metric, RunTag

        now = int(time.time() * 1000)
        with mlflow_errors():
            self.client.log_batch(
                run_id,
                metrics=[Metric(key, float(value), now, 0) for key, value in metrics.items()],
                tags=[RunTag(key, value) for key, value in tags.items()],
            )

    # Metrics ------------------------------------------------------------------------

    def metric_logger(self, run_id: str) -> MetricLogger:
        """The batched logger of a run, created on first use."""
        with self._lock:
            logger = self._loggers.get(run_id)
            if logger is None:
                self.get_run(run_id)  # a clear error now rather than in the writer thread
                logger = self._loggers[run_id] = MetricLogger(run_id, self._write_points)
            return logger

    def flush(self, run_id: str | None = None) -> None:
        """Write everything logged so far (one run's, or every run's)."""
        with self._lock:
            if run_id is None:
                loggers = list(self._loggers.values())
            else:
                loggers = [self._loggers[run_id]] if run_id in self._loggers else []
        for logger in loggers:
            logger.flush()

    def close_logger(self, run_id: str) -> None:
        with self._lock:
            logger = self._loggers.pop(run_id, None)
        if logger is not None:
            logger.close()

    def _write_points(self, run_id: str, points: list[PointRow]) -> None:
        from mlflow.entities import Metric

        if self.engine is not None:
            from . import sqlstore  # MLflow's table models: imported with MLflow

            sqlstore.write_metrics(self.engine, run_id, points)
            return
        for start in range(0, len(points), _BATCH_API_LIMIT):
            chunk = points[start : start + _BATCH_API_LIMIT]
            with mlflow_errors():
                self.client.log_batch(
                    run_id, metrics=[Metric(k, v, ts, step) for k, v, step, ts in chunk]
                )

    # Helpers ------------------------------------------------------------------------

    def _check_experiment(self, experiment_id: str) -> None:
        # Ids are 64-bit integers: a longer one reached SQLite, which raised OverflowError.
        if not str(experiment_id).isdigit() or int(experiment_id) >= 2**63:
            raise NotFound(f"no experiment {str(experiment_id)[:40]!r}")
        with mlflow_errors():
            self.client.get_experiment(str(experiment_id))

    def _root_relative(self, artifact_uri: str, artifact: str | None) -> str | None:
        """The snapshot as a path Lab can open, when the artifacts live under the root."""
        if not artifact or not artifact_uri.startswith("file:"):
            return None
        path = Path(unquote(urlparse(artifact_uri).path)) / artifact
        try:
            return str(path.resolve().relative_to(self.config.root_dir))
        except ValueError:
            return None


def _model_view(model) -> dict:
    from mlflow.models import get_model_info

    try:
        info = get_model_info(model.model_uri)
        signed, example = info.signature is not None, info.saved_input_example_info is not None
    except Exception:  # an unreadable model is listed, not hidden; registering it will say why
        signed = example = False
    return {
        "model_id": model.model_id,
        "name": model.name,
        "model_uri": model.model_uri,
        "has_signature": signed,
        "has_input_example": example,
    }


def summary(run: Run, *, heavy: bool = False) -> dict:
    """A run as lists show it; `heavy` keeps the tags too large for a list."""
    return {
        "run_id": run.info.run_id,
        "run_name": run.info.run_name,
        "experiment_id": run.info.experiment_id,
        "status": run.info.status,
        "start_time": run.info.start_time,
        "end_time": run.info.end_time,
        "user_id": run.info.user_id,
        "metrics": {k: _json_number(v) for k, v in run.data.metrics.items()},
        "params": dict(run.data.params),
        "tags": {k: v for k, v in run.data.tags.items() if heavy or k not in lineage.HEAVY_TAGS},
    }


def _json_number(value: float) -> float | None:
    # JSON has no NaN or infinity; the panel shows a missing value instead.
    return value if math.isfinite(value) else None


def _text(token: str | bytes | None) -> str | None:
    # MLflow's SQL store hands its page token back as base64 bytes; JSON needs text (and
    # takes the same text back: its parser base64-decodes either).
    if isinstance(token, bytes):
        return token.decode("ascii")
    return token or None


def _token_for(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _offset_of(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (ValueError, KeyError, TypeError):
        raise InvalidInput("invalid page token", field="page_token") from None
    if not isinstance(offset, int) or offset < 0:
        raise InvalidInput("invalid page token", field="page_token")
    return offset
