"""Notebook jobs: submit -> finished through jupyter_mlops vs the papermill CLI.

The notebook has 3 short cells. Anchor: `papermill in.ipynb out.ipynb -p x 1` as a
process, end to end. Ours: a job submitted to the scheduler (as the agent runs it,
with its warm pool of fresh kernels) until it is recorded finished, with its MLflow
run, input and output notebooks.
Then 20 such jobs with concurrency 2 against 20 papermill CLI runs two at a time.

    python benchmarks/bench_jobs.py [--quick]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from _common import parser, result, stores

from jupyter_mlops.config import resolve
from jupyter_mlops.jobs.scheduler import JobScheduler
from jupyter_mlops.services import Services

PAPERMILL = [sys.executable, "-m", "papermill", "--no-progress-bar"]


def write_notebook(path: Path) -> None:
    parameters = nbformat.v4.new_code_cell("x = 0")
    parameters.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(
        cells=[parameters, nbformat.v4.new_code_cell("y = x + 1"), nbformat.v4.new_code_cell("y")]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def papermill_once(root: Path, index: int) -> None:
    subprocess.run(
        [*PAPERMILL, str(root / "bench.ipynb"), str(root / f"out-{index}.ipynb"), "-p", "x", "1"],
        check=True,
        capture_output=True,
    )


def job_scheduler(services: Services) -> JobScheduler:
    """The job scheduler an agent on `services` runs."""
    return next(worker for worker in services.agent_workers() if worker.name == "jobs")


def run_jobs(services: Services, scheduler: JobScheduler, count: int) -> float:
    start = time.perf_counter()
    ids = [
        services.jobs.submit({"notebook": "bench.ipynb", "parameters": {"x": 1}})["execution"]["id"]
        for _ in range(count)
    ]
    pending = set(ids)
    while pending:
        scheduler.tick()
        for execution_id in list(pending):
            status = services.jobs.execution(execution_id)["status"]
            if status in ("succeeded", "failed", "cancelled"):
                assert status == "succeeded", services.jobs.execution(execution_id)["error"]
                pending.discard(execution_id)
        time.sleep(0.02)
    return time.perf_counter() - start


def main() -> None:
    args = parser(__doc__).parse_args()
    single_runs, batch = (1, 4) if args.quick else (5, 20)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_notebook(root / "bench.ipynb")
        services = Services(
            resolve(root_dir=root, gpus=[], max_concurrent_jobs=2, environ={}, **stores(args))
        )
        services.tracking.client  # noqa: B018 - created once, as the server does at start
        scheduler = job_scheduler(services)
        # The agent runs all along: its warm pool is ready before jobs come.
        scheduler.tick()
        time.sleep(10 if args.quick else 15)

        anchor_single, ours_single = [], []
        for index in range(single_runs):  # alternate, so drift hits both alike
            start = time.perf_counter()
            papermill_once(root, index)
            anchor_single.append(time.perf_counter() - start)
            ours_single.append(run_jobs(services, scheduler, 1))

        start = time.perf_counter()
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda i: papermill_once(root, i), range(batch)))
        anchor_batch = time.perf_counter() - start
        ours_batch = run_jobs(services, scheduler, batch)
        scheduler.close()
        services.close()

        # The same single job with no warm pool: a worker process started for it.
        cold = Services(
            resolve(root_dir=root, gpus=[], job_pool_size=0, environ={}, **stores(args))
        )
        cold_scheduler = job_scheduler(cold)
        cold_single, anchor_cold = [], []
        for index in range(single_runs):
            start = time.perf_counter()
            papermill_once(root, index)
            anchor_cold.append(time.perf_counter() - start)
            cold_single.append(run_jobs(cold, cold_scheduler, 1))
        cold.close()

    anchor, ours = statistics.median(anchor_single), statistics.median(ours_single)
    # Targets are "ours <= k x anchor", i.e. ratio = anchor/ours >= 1/k.
    result("job_submit_to_finished", ours, anchor, "s", "ours<=0.6x", ours <= 0.6 * anchor)
    cold, anchor_cold = statistics.median(cold_single), statistics.median(anchor_cold)
    result(
        "job_submit_to_finished_no_pool",
        cold,
        anchor_cold,
        "s",
        "ours<=1.1x",
        cold <= 1.1 * anchor_cold,
    )
    result(
        f"jobs_{batch}_concurrency_2",
        ours_batch,
        anchor_batch,
        "s",
        "ours<=1.2x",
        ours_batch <= 1.2 * anchor_batch,
    )


if __name__ == "__main__":
    main()
