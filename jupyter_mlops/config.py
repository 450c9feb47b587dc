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

# Where every door has always found it; the masking itself lives with `redact_text`.
from .redact import redact_url as redact_url

HOME_DIRNAME = ".mlops"
# Exported by the server to the kernels it starts (see server/app.py), and read
# by every door, so that they agree on one home without a server URL or token.
HOME_ENV = "JUPYTER_MLOPS_HOME"
ROOT_DIR_ENV = "JUPYTER_MLOPS_ROOT_DIR"
STATE_URL_ENV = "JUPYTER_MLOPS_STATE_URL"
EXECUTOR_ENV = "JUPYTER_MLOPS_EXECUTOR"
# The Ray cluster's Jobs API (its dashboard's address, http://host:8265) for executor "ray".
RAY_ADDRESS_ENV = "JUPYTER_MLOPS_RAY_ADDRESS"
# GPUs jobs may use, as CUDA device ids ("0,1"); "none" for none. Unset: detected.
GPUS_ENV = "JUPYTER_MLOPS_GPUS"
MAX_JOBS_ENV = "JUPYTER_MLOPS_MAX_JOBS"
JOB_POOL_ENV = "JUPYTER_MLOPS_JOB_POOL"
TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
# Homes found (not named) that belong to another user, and are used all the same:
# paths separated by os.pathsep, or "*" for any (git's `safe.directory`).
TRUSTED_HOMES_ENV = "JUPYTER_MLOPS_TRUSTED_HOMES"


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
    # Executor "ray": where its Jobs API listens; None where no executor needs one.
    ray_address: str | None = None

    def under_root(self, path: str | Path, field: str) -> Path:
        """`path` (absolute, or relative to the root) resolved; refused outside the root."""
        if "\0" in str(path):  # no file has one; the OS calls below would raise ValueError
            raise InvalidInput(f"{str(path)!r} contains a NUL character", field=field)
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
            **({RAY_ADDRESS_ENV: self.ray_address} if self.ray_address else {}),
            **({GPUS_ENV: ",".join(self.gpus) or "none"} if self.gpus is not None else {}),
        }

    def home_missing(self) -> bool:
        """True when the home does not exist and a store in it would be created by opening
        it: a verb that only reads then has nothing to read, and must not create it."""
        files = [_sqlite_file(url) for url in (self.state_url, self.tracking_uri)]
        return not self.home.is_dir() and any(
            file is not None and file.is_relative_to(self.home) for file in files
        )


def find_home(start: Path) -> Path | None:
    """The nearest `.mlops/` folder at or above `start`, the way git finds `.git`."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / HOME_DIRNAME
        if candidate.is_dir():
            return candidate
    return None


def check_owner(home: Path, environ: Mapping[str, str]) -> None:
    """Refuse a home that was found, not named, when another user owns it.

    Whoever owns a home decides what runs from it (its queued notebooks run as the
    agent's user), so a `.mlops/` another user left in a shared parent (`/tmp`, a
    scratch disk) is not taken, as git refuses a `.git` it does not own (CVE-2022-24765).
    Root's folders are trusted; a home named with --home or $JUPYTER_MLOPS_HOME, or
    listed in $JUPYTER_MLOPS_TRUSTED_HOMES, is used whoever owns it.
    """
    if not hasattr(os, "geteuid") or not home.is_dir():
        return  # no owner ids to compare (Windows); or not there yet: it will be ours
    owner, me = home.stat().st_uid, os.geteuid()
    if owner in (me, 0) or _listed(home, environ.get(TRUSTED_HOMES_ENV, "")):
        return
    raise InvalidInput(
        f"refusing the MLOps home {home}: it belongs to {_user(owner)}, not to you, "
        f"{_user(me)}, and its queued notebooks would run as you. If you trust it, name "
        f"it (--home {home}, or ${HOME_ENV}) or add it to ${TRUSTED_HOMES_ENV}",
        field="home",
    )


def _listed(home: Path, trusted: str) -> bool:
    for entry in filter(None, (e.strip() for e in trusted.split(os.pathsep))):
        if entry == "*" or Path(entry).expanduser().resolve() == home:
            return True
    return False


def _user(uid: int) -> str:
    try:
        import pwd

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _sqlite_file(url: str) -> Path | None:
    """The file of a sqlite URL (a relative one from the working directory); else None."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None  # not a database URL: an MLflow server, "databricks"
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).resolve()


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
    ray_address: str | None = None,
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
    if chosen_home:  # named: used whoever owns it
        resolved_home = Path(chosen_home).expanduser().resolve()
    else:
        if root_dir is not None:
            resolved_home = Path(root_dir).expanduser().resolve() / HOME_DIRNAME
        else:
            cwd = Path.cwd()
            resolved_home = find_home(cwd) or cwd.resolve() / HOME_DIRNAME
        check_owner(resolved_home, environ)

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
        ray_address=ray_address or environ.get(RAY_ADDRESS_ENV) or None,
    )
