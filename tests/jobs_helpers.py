"""Notebooks, an agent loop and waiting helpers for the job and deployment tests."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import nbformat

from jupyter_mlops.jobs.scheduler import JobScheduler
from jupyter_mlops.services import Services


def notebook(path: Path, parameters: str | None, *cells: str) -> Path:
    """Write a notebook: a `parameters`-tagged cell (unless None), then code cells."""
    nb = nbformat.v4.new_notebook()
    if parameters is not None:
        tagged = nbformat.v4.new_code_cell(parameters)
        tagged.metadata["tags"] = ["parameters"]
        nb.cells.append(tagged)
    nb.cells += [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def job_scheduler(services: Services) -> JobScheduler:
    """The job scheduler an agent on `services` runs (with its executor), for a test to tick."""
    return next(worker for worker in services.agent_workers() if worker.name == "jobs")


def drive(scheduler: JobScheduler, done, timeout: float = 120.0, every: float = 0.2):
    """Tick the scheduler as the agent would until `done()` is true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        scheduler.tick()
        result = done()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"not done after {timeout}s")


def finished(jobs, execution_id: str):
    execution = jobs.execution(execution_id)
    return execution if execution["status"] in ("succeeded", "failed", "cancelled") else None


async def until(predicate, timeout: float, every: float = 0.1):
    """Await `predicate()` while the test's event loop (the server, its agent) runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        await asyncio.sleep(every)
    raise AssertionError(f"not true after {timeout}s")
