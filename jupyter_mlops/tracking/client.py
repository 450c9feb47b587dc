"""The MLflow client every tracking and registry call goes through.

MLflow is the system of record for runs, metrics, artifacts and models; this module
only binds a client to the project's tracking URI and turns MLflow's errors into
domain errors with MLflow's own message.
"""

from __future__ import annotations

import fcntl
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse
from urllib.request import url2pathname

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ..errors import Conflict, InvalidInput, MLOpsError, NotFound
from ..store.db import ALEMBIC_LOCK

if TYPE_CHECKING:  # MLflow is imported on first use: it takes seconds
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

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
