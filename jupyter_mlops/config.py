"""One resolved configuration, shared by the server, the kernel and the CLI.

Every door resolves its settings here, so a magic, the panel and `jupyter mlops`
always see the same stores. Precedence, highest first: explicit arguments (server
traitlets, CLI flags), environment variables, then embedded defaults under the home.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .errors import InvalidInput

HOME_DIRNAME = ".mlops"
# Exported by the server to the kernels it starts (see server/app.py), and read
# by every door, so that they agree on one home without a server URL or token.
HOME_ENV = "JUPYTER_MLOPS_HOME"
ROOT_DIR_ENV = "JUPYTER_MLOPS_ROOT_DIR"
STATE_URL_ENV = "JUPYTER_MLOPS_STATE_URL"
EXECUTOR_ENV = "JUPYTER_MLOPS_EXECUTOR"
# GPUs jobs may use, as CUDA device ids ("0,1"); "none" for none. Unset: detected.
GPUS_ENV = "JUPYTER_MLOPS_GPUS"
MAX_JOBS_ENV = "JUPYTER_MLOPS_MAX_JOBS"
JOB_POOL_ENV = "JUPYTER_MLOPS_JOB_POOL"
TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"


@dataclass(frozen=True)
class MLOpsConfig:
    # Nothing outside the root (the Jupyter server's root dir) is read or written on
    # a user's request: notebook paths and snapshot links are checked against it.
    root_dir: Path
    home: Path
    tracking_uri: str
    artifact_root: Path
    state_url: str
    # The name of a registered executor (see jobs/executors): checked where it is loaded.
    executor: str
    # None: detect with nvidia-smi when the scheduler first needs to know.
    gpus: tuple[str, ...] | None = None
    max_concurrent_jobs: int = 2
    # Warm workers (imports done, a fresh kernel started) waiting for jobs; 0: none.
    job_pool_size: int = 2

    def under_root(self, path: str | Path, field: str) -> Path:
        """`path` (absolute, or relative to the root) resolved; refused outside the root."""
        candidate = Path(path)
        resolved = (candidate if candidate.is_absolute() else self.root_dir / candidate).resolve()
        if not resolved.is_relative_to(self.root_dir):
            raise InvalidInput(f"{str(path)!r} is outside the server root", field=field)
        return resolved

    def env(self) -> dict[str, str]:
        """The variables that let a child process (a kernel, a job) resolve this config."""
        return {
            ROOT_DIR_ENV: str(self.root_dir),
            HOME_ENV: str(self.home),
            TRACKING_URI_ENV: self.tracking_uri,
            STATE_URL_ENV: self.state_url,
            EXECUTOR_ENV: self.executor,
            MAX_JOBS_ENV: str(self.max_concurrent_jobs),
            JOB_POOL_ENV: str(self.job_pool_size),
            **({GPUS_ENV: ",".join(self.gpus) or "none"} if self.gpus is not None else {}),
        }


def find_home(start: Path) -> Path | None:
    """The nearest `.mlops/` folder at or above `start`, the way git finds `.git`."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / HOME_DIRNAME
        if candidate.is_dir():
            return candidate
    return None


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def resolve(
    *,
    home: str | os.PathLike | None = None,
    tracking_uri: str | None = None,
    state_url: str | None = None,
    executor: str | None = None,
    root_dir: str | os.PathLike | None = None,
    gpus: list[str] | None = None,
    max_concurrent_jobs: int | None = None,
    job_pool_size: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> MLOpsConfig:
    """Resolve the configuration once.

    `root_dir` is the Jupyter server's root: the server's home defaults to
    `<root_dir>/.mlops`. Without it (kernel, CLI) an existing `.mlops/` is looked up
    from the working directory upward, else one is placed in the working directory;
    the root is then the one the server exported, else the home's parent.
    `MLFLOW_TRACKING_URI` wins over the configured tracking URI, as in MLflow itself.
    """
    environ = os.environ if environ is None else environ
    if root_dir is None and environ.get(ROOT_DIR_ENV):
        root_dir = environ[ROOT_DIR_ENV]

    chosen_home = home or environ.get(HOME_ENV)
    if chosen_home:
        resolved_home = Path(chosen_home).expanduser().resolve()
    elif root_dir is not None:
        resolved_home = Path(root_dir).expanduser().resolve() / HOME_DIRNAME
    else:
        cwd = Path.cwd()
        resolved_home = find_home(cwd) or cwd.resolve() / HOME_DIRNAME

    chosen_executor = executor or environ.get(EXECUTOR_ENV) or "local"

    if gpus is None and environ.get(GPUS_ENV):
        declared = environ[GPUS_ENV].strip()
        gpus = [] if declared.lower() == "none" else [g.strip() for g in declared.split(",")]
    max_jobs = max_concurrent_jobs or int(environ.get(MAX_JOBS_ENV) or 2)
    if max_jobs < 1:
        raise InvalidInput("max_concurrent_jobs must be at least 1", field="max_concurrent_jobs")
    pool = job_pool_size if job_pool_size is not None else int(environ.get(JOB_POOL_ENV) or 2)
    if pool < 0:
        raise InvalidInput("job_pool_size must be 0 or more", field="job_pool_size")

    return MLOpsConfig(
        root_dir=Path(root_dir).expanduser().resolve() if root_dir else resolved_home.parent,
        home=resolved_home,
        tracking_uri=environ.get(TRACKING_URI_ENV)
        or tracking_uri
        or sqlite_url(resolved_home / "mlflow.db"),
        artifact_root=resolved_home / "artifacts",
        state_url=state_url or environ.get(STATE_URL_ENV) or sqlite_url(resolved_home / "state.db"),
        executor=chosen_executor,
        gpus=tuple(gpus) if gpus is not None else None,
        max_concurrent_jobs=max_jobs,
        job_pool_size=pool,
    )


def redact_url(url: str) -> str:
    """A database or tracking URL with its password masked, safe to show anywhere."""
    try:
        # SQLAlchemy parses any scheme://user:password@host URL, http(s) included.
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url  # no userinfo to hide ("databricks", a plain path)
