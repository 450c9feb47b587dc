"""Running `jupyter mlops` as a user would: a process of its own, in a folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

JUPYTER = str(Path(sys.executable).parent / "jupyter")


def mlops(
    *args: str, cwd: Path, env: dict | None = None, timeout: float = 180
) -> subprocess.CompletedProcess:
    """`jupyter mlops ARGS` run in `cwd` to its end, its output captured as text."""
    return subprocess.run(
        [JUPYTER, "mlops", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
    )
