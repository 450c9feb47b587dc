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


def git_state(folder: Path) -> tuple[str, bool] | None:
    """(commit, dirty) of the repository holding `folder`, or None outside one."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=10
        )
        if commit.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return commit.stdout.strip(), bool(status.stdout.strip())


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
        state = git_state(notebook.parent)
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
