"""The MLflow client every tracking and registry call goes through.

MLflow is the system of record for runs, metrics, artifacts and models; this module
only binds a client to the project's tracking URI and turns MLflow's errors into
domain errors with MLflow's own message.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse
from urllib.request import url2pathname

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ..errors import Conflict, InvalidInput, MLOpsError, NotFound
from ..store import failures
from ..store.db import ALEMBIC_LOCK

if TYPE_CHECKING:  # MLflow is imported on first use: it takes seconds
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

log = logging.getLogger(__name__)
_IMPORTING = threading.Lock()
_NOT_FOUND = {"RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"}
_CONFLICT = {"RESOURCE_ALREADY_EXISTS", "ABORTED"}
_INVALID = {"INVALID_PARAMETER_VALUE", "BAD_REQUEST", "INVALID_STATE"}


def local_path(artifact_uri: str) -> Path | None:
    """The folder or file an artifact URI names on this machine; None for a remote store.
    Read in place, a local artifact needs no download (nor MLflow's progress bar)."""
    parsed = urlparse(artifact_uri)
    if parsed.scheme not in ("", "file"):
        return None
    return Path(url2pathname(parsed.path))


def is_database_uri(uri: str) -> bool:
    """Whether MLflow keeps this store in a SQL database we can also read directly."""
    try:
        backend = make_url(uri).get_backend_name()
    except ArgumentError:
        return False
    return backend in ("sqlite", "postgresql", "mysql", "mssql")


def load_mlflow() -> None:
    """Import MLflow, under a lock, before any part of it is imported on first use here.

    Its package imports circularly, so two threads importing parts of it for the first
    time at once (a request and the server's warm-up) can each hold a module the other
    needs, and Python hands one of them a partly initialized module ("cannot import name
    'Run' from partially initialized module 'mlflow.entities'"). Once imported, this costs
    a lock and a dictionary lookup.
    """
    with _IMPORTING:
        import mlflow  # noqa: F401


def make_client(tracking_uri: str, artifact_root: Path) -> MlflowClient:
    load_mlflow()
    from mlflow import MlflowClient

    if is_database_uri(tracking_uri):
        _initialize_database(tracking_uri, artifact_root)
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def _initialize_database(tracking_uri: str, artifact_root: Path) -> None:
    """Create MLflow's tables with the Default experiment's artifacts under the home.

    Left to itself MLflow would place them in `./mlruns` of whatever directory the
    first process happened to run in.
    """
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    url = make_url(tracking_uri)
    if url.get_backend_name() != "sqlite" or not url.database:
        with ALEMBIC_LOCK:
            SqlAlchemyStore(tracking_uri, artifact_root.as_uri())
        return
    database = Path(url.database)
    database.parent.mkdir(parents=True, exist_ok=True)
    # MLflow's migrations are not safe to run from two processes at once (the server,
    # the agent, a job worker, a kernel): the first one creates the store while the others
    # wait. Every process takes the lock, even when the file exists already: it may be
    # one that another process is still filling, and MLflow would migrate it again.
    with open(database.with_name(database.name + ".init-lock"), "w") as lock, ALEMBIC_LOCK:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not database.exists():
            artifact_root.mkdir(parents=True, exist_ok=True)
            SqlAlchemyStore(tracking_uri, artifact_root.as_uri())


@contextmanager
def mlflow_errors(field: str | None = None):
    """Raise MLflow's errors as domain errors, keeping MLflow's message."""
    load_mlflow()
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as err:
        mapped = _domain_error(err, field)
        if mapped is None:
            raise  # MLflow's own failure, not the caller's: a 500 with the details logged
        raise mapped from None


def _domain_error(err: MlflowException, field: str | None) -> MLOpsError | None:
    message = err.message
    if err.error_code in _NOT_FOUND:
        return NotFound(message)
    if err.error_code in _CONFLICT:
        return Conflict(message)
    if err.error_code in _INVALID:
        return InvalidInput(message, field=field)
    return None


class TrackingConnection:
    """The MlflowClient of one tracking URI: built on first use, and built again when its
    sqlite file was deleted or replaced under this long-lived process (the agent, the
    server, a warm worker). Otherwise every write after that fails with "attempt to write
    a readonly database": MLflow's pooled connections still point at the deleted file.
    """

    def __init__(self, tracking_uri: str, artifact_root: Path, on_reconnect=None):
        self.tracking_uri = tracking_uri
        self.artifact_root = artifact_root
        self.file = failures.database_file(tracking_uri) if is_database_uri(tracking_uri) else None
        self._on_reconnect = on_reconnect
        self._client: MlflowClient | None = None
        self._identity: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def client(self) -> MlflowClient:
        with self._lock:
            if self._client is not None and (
                self.file is None or _identity(self.file) == self._identity
            ):
                return self._client
            if self._client is not None:
                log.warning("MLflow store %s was deleted or replaced; reconnecting", self.file)
                _dispose_engines(self.file)
                if self._on_reconnect is not None:
                    self._on_reconnect()
            try:
                self._client = make_client(self.tracking_uri, self.artifact_root)
            except Exception as err:  # a full disk, a read-only folder: one line, retried
                if not (failures.is_store_failure(err) or isinstance(err, OSError)):
                    raise
                raise failures.unavailable(err, self.tracking_uri, "the MLflow store") from err
            self._identity = _identity(self.file) if self.file is not None else None
            return self._client


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def _dispose_engines(path: Path) -> None:
    """Close MLflow's pooled connections to `path`: its stores keep one engine per URI
    for the process's life, and a disposed engine opens the file anew on next use."""
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as Registry
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore as Tracking

    for store in (Tracking, Registry):
        for engine in list(getattr(store, "_engine_map", {}).values()):
            if engine.url.database and Path(engine.url.database) == path:
                engine.dispose()
