"""An in-process IPython shell with the extension loaded, as a notebook's kernel has it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
from IPython.core.interactiveshell import InteractiveShell

from jupyter_mlops.config import HOME_ENV, ROOT_DIR_ENV
from jupyter_mlops.tracking import default as tracking_default


@contextmanager
def mlops_shell(monkeypatch, home: Path, root: Path | None = None) -> Iterator[InteractiveShell]:
    """The shell, its magics resolving `home` (and `root`) as a kernel the server started
    would; the process's services are forgotten before and after."""
    # The server creates its home before it starts a kernel.
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv(HOME_ENV, str(home))
    if root is not None:
        monkeypatch.setenv(ROOT_DIR_ENV, str(root))
    tracking_default.cache_clear()
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_mlops")
    try:
        yield shell
    finally:
        shell.run_line_magic("unload_ext", "jupyter_mlops")
        InteractiveShell.clear_instance()
        tracking_default.cache_clear()


GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]


def git_project(root: Path) -> Path:
    """A git repository with a committed notebook in a subfolder, as a user's project."""
    notebook = root / "work" / "train.ipynb"
    notebook.parent.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), notebook)
    subprocess.run([*GIT, "init", "-q"], cwd=root, check=True)
    subprocess.run([*GIT, "add", "."], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-qm", "init"], cwd=root, check=True)
    return root


@contextmanager
def notebook_shell(monkeypatch, project: Path) -> Iterator[InteractiveShell]:
    """`mlops_shell` for a kernel serving `project`'s work/train.ipynb."""
    with mlops_shell(monkeypatch, project / ".mlops", project) as shell:
        # What ipykernel sets from the session jupyter_server started the kernel for.
        shell.user_ns["__session__"] = str(project / "work" / "train.ipynb")
        yield shell
