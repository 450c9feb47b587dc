"""Kernels started ahead of papermill: by a warm-pool worker before its job is known, or
by a worker first thing so the kernel boots while the worker imports papermill.

They are AsyncKernelManagers so that papermill waits on them from its event loop,
where the timeout's SIGALRM and cancel's SIGTERM interrupt the wait: a blocking
client's zmq poll retries on EINTR without running Python's signal handlers, so a
job on a blocking client would outlive its timeout.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from jupyter_client import AsyncKernelManager
from jupyter_core.utils import run_sync

READY_TIMEOUT = 60


def start(name: str, cwd: Path | str) -> AsyncKernelManager:
    kernel = AsyncKernelManager(kernel_name=name)
    run_sync(kernel.start_kernel)(cwd=str(cwd))
    return kernel


def wait_ready(kernel: AsyncKernelManager) -> None:
    client = kernel.blocking_client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=READY_TIMEOUT)
    finally:
        client.stop_channels()


def prepare(kernel: AsyncKernelManager, cwd: Path, environ: Mapping[str, str]) -> None:
    """Give a kernel started before its job was known the job's folder and environment
    (MLFLOW_RUN_ID and the project's stores) before the notebook runs."""
    keep = {k: v for k, v in environ.items() if k.startswith(("MLFLOW_", "JUPYTER_MLOPS_"))}
    code = (
        "import os as _os, json as _json\n"
        f"_os.chdir({str(cwd)!r})\n"
        f"_os.environ.update(_json.loads({json.dumps(keep)!r}))\n"
        "del _os, _json"
    )
    client = kernel.blocking_client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=READY_TIMEOUT)
        reply = client.execute_interactive(code, store_history=False, timeout=READY_TIMEOUT)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"preparing the kernel failed: {reply['content']}")
    finally:
        client.stop_channels()


def shutdown(kernel: AsyncKernelManager) -> None:
    if kernel.has_kernel:
        run_sync(kernel.shutdown_kernel)(now=True)
