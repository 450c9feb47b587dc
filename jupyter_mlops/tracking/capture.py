"""What a tracked run records about where it came from: notebook, kernel, packages, git."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from . import lineage


def notebook_path(user_ns: dict, root_dir: Path) -> Path | None:
    """The notebook this kernel serves, as jupyter_server tells ipykernel: an absolute
    path when the client named the file (JupyterLab does), else root-relative."""
    session = user_ns.get("__session__") or os.environ.get("JPY_SESSION_NAME")
    if not session:
        return None
    path = Path(session)
    if not path.is_absolute():
        path = root_dir / path
    return path if path.suffix == ".ipynb" and path.is_file() else None


@lru_cache(maxsize=1)
def requirements() -> str:
    """Installed distributions as pinned requirements; once per process (~0.1 s)."""
    pins = {
        f"{dist.metadata['Name']}=={dist.version}"
        for dist in metadata.distributions()
        if dist.metadata["Name"]
    }
    return "\n".join(sorted(pins, key=str.lower)) + "\n"


def git_state(folder: Path, ignore: Path | None = None) -> tuple[str, bool] | None:
    """(commit, dirty) of the repository holding `folder`, or None outside one.

    Dirty as `git status` says: changed, staged or untracked files anywhere in the
    repository, except under `ignore` (the MLOps home, which the run itself writes to)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD", "--show-toplevel"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if head.returncode != 0:
            return None
        commit, top = (head.stdout.splitlines() + ["", ""])[:2]
        # The whole repository, whichever folder of it the notebook is in. `normal`
        # whatever the user's status.showUntrackedFiles says: an untracked folder is
        # one line, its files not listed. No optional locks: never in the user's way.
        status = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=normal"]
            + ["--", ":/", *_excluded(top, ignore)],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if status.returncode != 0:
        return None
    return commit.strip(), bool(status.stdout.strip())


def _excluded(top: str, ignore: Path | None) -> list[str]:
    """The pathspec leaving `ignore` out when it lies inside the repository at `top`."""
    if ignore is None or not top:
        return []
    try:
        inside = ignore.resolve().relative_to(Path(top).resolve())
    except (OSError, ValueError):  # outside the repository: nothing to leave out
        return []
    return [f":(top,exclude,literal){inside.as_posix()}"] if inside.parts else []


def source_tags(notebook: Path | None, root_dir: Path, home: Path, kernel: str | None) -> dict:
    """Lineage tags describing the notebook, kernel and environment of a run."""
    tags = {lineage.HOME: str(home), lineage.PYTHON: platform.python_version()}
    if kernel:
        tags[lineage.KERNEL] = kernel
    if notebook is not None:
        try:
            shown = str(notebook.resolve().relative_to(root_dir))
        except ValueError:  # a notebook outside the server root: keep its absolute path
            shown = str(notebook.resolve())
        tags[lineage.SOURCE_NOTEBOOK] = shown
        tags[lineage.MLFLOW_SOURCE_NAME] = shown
        tags[lineage.MLFLOW_SOURCE_TYPE] = "NOTEBOOK"
        state = git_state(notebook.parent, ignore=home)
        if state is not None:
            tags[lineage.GIT_COMMIT] = tags[lineage.MLFLOW_GIT_COMMIT] = state[0]
            tags[lineage.GIT_DIRTY] = str(state[1]).lower()
    return tags


def kernel_name() -> str | None:
    """The kernel spec name, which jupyter_client writes into the connection file."""
    try:
        from ipykernel.kernelapp import IPKernelApp
    except ImportError:
        return None
    if not IPKernelApp.initialized():
        return None
    try:
        info = json.loads(Path(IPKernelApp.instance().abs_connection_file).read_text())
    except (OSError, ValueError, AttributeError):
        return None
    return info.get("kernel_name") or None
