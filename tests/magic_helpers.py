"""An in-process IPython shell with the extension loaded, as a notebook's kernel has it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
