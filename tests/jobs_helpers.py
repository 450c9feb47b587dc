"""Notebooks, an agent loop and waiting helpers for the job and deployment tests."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import nbformat

from jupyter_mlops.config import resolve
from jupyter_mlops.jobs.scheduler import JobScheduler
from jupyter_mlops.services import Services

# A noisy quadratic with its optimum at x = 2, logged as `loss`.
QUADRATIC = (
    "import random\nimport mlflow\n"
    "mlflow.log_metric('loss', (x - 2.0) ** 2 + random.gauss(0, 0.01))"
)


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


def one_wave_search(notebook: str, seed: int) -> dict:
    """A search body of 2 random trials of x in [-1, 1] minimizing `loss`: one wave, as
    the project runs 2 jobs at a time."""
    return {
        "notebook": notebook,
        "search": {
            "metric": "loss",
            "space": {"x": {"low": -1.0, "high": 1.0}},
            "trials": 2,
            "parallel": 2,
            "sampler": "random",
            "seed": seed,
        },
    }


def drive_search(services: Services, search_id: str, timeout: float = 300.0) -> dict:
    """Tick the search driver and the job scheduler as the agent would, to the end."""
    workers = {w.name: w for w in services.agent_workers()}
    scheduler, driver = workers["jobs"], workers["tuning"]
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            driver.tick()
            scheduler.tick()
            search = services.tuning.search(search_id)
            if search["status"] in ("finished", "cancelled"):
                return search
            time.sleep(0.2)
    finally:
        scheduler.close()
    raise AssertionError(f"search not finished after {timeout}s: {search['counts']}")


def services_for(root: Path, pool: int = 2) -> Services:
    """The project at `root`, with no GPUs and a warm pool of `pool`."""
    return Services(resolve(root_dir=root, gpus=[], job_pool_size=pool, environ={}))
