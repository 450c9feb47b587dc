"""Notebook jobs on a Ray cluster: submit -> finished through jupyter_mlops (executor "ray")
vs `ray job submit` of papermill by hand.

The notebook is bench_jobs.py's (3 short cells). Anchor: `ray job submit --address ...
--working-dir <folder> --no-wait -- papermill bench.ipynb <out> -p x 1` as a process, then
Ray's status of the job polled until it ended. Waiting, the CLI returns some 3 s after
the job ended (its log tail winds down): that time is printed, not judged. The output
notebook is written on this machine's disk (the head is local), outside the folder Ray
ships. Ours: a job submitted to the scheduler (ticked as bench_jobs.py ticks it; no warm
pool: each job is a Ray job) until it is recorded finished, with its MLflow run, input
and output notebooks (the output one an artifact of the run).
Then 20 such jobs with concurrency 2 (`max_concurrent_jobs=2`) against 20 anchor jobs
two at a time.

The benchmark starts its own Ray head (`ray start --head --block --num-cpus 2` on free
ports, a temp dir of its own) and stops it at the end; never `ray stop`, which would stop
every cluster of this user on the machine. Each job's success, and the parameter injected
into each output notebook, are checked before any result is printed.

    python benchmarks/bench_ray.py [--quick]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import mlflow
import nbformat
from _common import parser, result, stores
from bench_jobs import job_scheduler, run_jobs, write_notebook
from ray.job_submission import JobStatus, JobSubmissionClient

from jupyter_mlops.config import resolve
from jupyter_mlops.services import Services
from jupyter_mlops.team.commands import BIN, ray_env
from jupyter_mlops.team.ray_head import LocalHead

# The `ray` CLI with the environment the head has: this environment's commands first.
ENVIRON = ray_env(BIN)


def ray_submit(head: LocalHead, folder: Path, out: Path, wait: bool = False) -> None:
    """What a user would type: papermill as a Ray job. With `wait`, the CLI waits for the
    job and tails its log, then returns; it returns some 3 s after the job ended (its log
    tail winds down), so the timed anchor is `--no-wait`, then Ray's status of the job
    polled as often as bench_jobs' loop polls ours."""
    sid = f"anchor-{uuid.uuid4().hex[:12]}"
    done = subprocess.run(
        [
            str(BIN / "ray"),
            "job",
            "submit",
            "--address",
            head.jobs_api,
            "--submission-id",
            sid,
            "--working-dir",
            str(folder),
            *([] if wait else ["--no-wait"]),
            "--",
            "papermill",
            "--no-progress-bar",
            "bench.ipynb",
            str(out),
            "-p",
            "x",
            "1",
        ],
        env=ENVIRON,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"ray job submit failed ({done.returncode}):\n{done.stdout[-3000:]}")
    client = JobSubmissionClient(head.jobs_api)
    while not (status := client.get_job_status(sid)).is_terminal():
        time.sleep(0.02)
    if status != JobStatus.SUCCEEDED:
        raise RuntimeError(f"{sid} {status}:\n{client.get_job_logs(sid)[-3000:]}")


def check_output(path: Path) -> None:
    """The parameter was injected and the last cell shows y = x + 1 = 2."""
    nb = nbformat.read(path, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "x = 1" in injected[0].source, f"{path}: no injected x = 1"
    shown = nb.cells[-1].outputs[0]["data"]["text/plain"]
    assert shown == "2", f"{path}: the last cell shows {shown!r}, not 2"


def check_ours(services: Services, count: int, scratch: Path) -> None:
    """Every job succeeded and its run holds the output notebook, parameter injected."""
    executions = services.jobs.executions(limit=count + 10)
    assert len(executions) == count, f"{len(executions)} executions, expected {count}"
    for execution in executions:
        assert execution["status"] == "succeeded", execution["error"]
        assert execution["host"] == "ray", execution["host"]
        got = mlflow.artifacts.download_artifacts(
            run_id=execution["mlflow_run_id"],
            artifact_path="output/bench.ipynb",
            dst_path=str(scratch / execution["id"]),
            tracking_uri=services.config.tracking_uri,
        )
        check_output(Path(got))


def main() -> None:
    args = parser(__doc__).parse_args()
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"  # the checks' downloads
    single_runs, batch = (1, 2) if args.quick else (5, 20)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # Ours ships the notebook's folder (its home, .mlops, excluded); the anchor ships
        # a folder of its own holding the same notebook, its outputs written beside it.
        root, folder, outputs = tmp / "root", tmp / "anchor", tmp / "anchor-out"
        for each in (root, folder, outputs):
            each.mkdir()
        write_notebook(root / "bench.ipynb")
        shutil.copy(root / "bench.ipynb", folder / "bench.ipynb")
        head = LocalHead.start(cpus=2, gpus=0).wait()
        try:
            config = resolve(
                root_dir=root,
                executor="ray",
                ray_address=head.jobs_api,
                job_pool_size=0,
                max_concurrent_jobs=2,
                environ={},
                **stores(args),
            )
            services = Services(config)
            services.tracking.client  # noqa: B018 - created once, as the server does at start
            scheduler = job_scheduler(services)
            # One untimed job each: the first on a fresh head uploads the working dir and
            # starts Ray's job machinery, which a cluster in use has done long before.
            # Not at --quick size, which checks that the benchmark works, not its figures.
            warm = 0 if args.quick else 1
            if warm:
                ray_submit(head, folder, outputs / "warm.ipynb")
                run_jobs(services, scheduler, 1)

            anchor_single, ours_single, cli_single = [], [], []
            for index in range(single_runs):  # alternate, so drift hits all alike
                start = time.perf_counter()
                ray_submit(head, folder, outputs / f"single-{index}.ipynb")
                anchor_single.append(time.perf_counter() - start)
                ours_single.append(run_jobs(services, scheduler, 1))
                if args.quick:
                    continue  # the waiting CLI is printed, never judged
                start = time.perf_counter()
                ray_submit(head, folder, outputs / f"cli-{index}.ipynb", wait=True)
                cli_single.append(time.perf_counter() - start)

            start = time.perf_counter()
            with ThreadPoolExecutor(2) as pool:
                list(
                    pool.map(
                        lambda i: ray_submit(head, folder, outputs / f"batch-{i}.ipynb"),
                        range(batch),
                    )
                )
            anchor_batch = time.perf_counter() - start
            ours_batch = run_jobs(services, scheduler, batch)

            check_ours(services, warm + single_runs + batch, tmp / "ours-out")
            scheduler.close()
            services.close()
        finally:
            head.stop()
        anchor_outputs = sorted(outputs.glob("*.ipynb"))
        anchor_jobs = warm + single_runs * (1 if args.quick else 2) + batch
        assert len(anchor_outputs) == anchor_jobs, anchor_outputs
        for path in anchor_outputs:
            check_output(path)
        print(
            f"checked: {warm + single_runs + batch} jobs of ours and "
            f"{anchor_jobs} of the anchor succeeded, "
            "every output notebook has x = 1 injected and shows 2",
            flush=True,
        )

    def listed(times: list[float]) -> str:
        return ", ".join(f"{t:.2f}" for t in times)

    waiting = (
        f"; `ray job submit` waiting for the job (not judged) {listed(cli_single)}s, "
        f"median {statistics.median(cli_single):.2f}s"
        if cli_single
        else ""
    )
    print(
        f"single job: anchor {listed(anchor_single)}s; ours {listed(ours_single)}s{waiting}",
        flush=True,
    )
    anchor, ours = statistics.median(anchor_single), statistics.median(ours_single)
    # Targets are "ours <= k x anchor", i.e. ratio = anchor/ours >= 1/k.
    result("ray_job", ours, anchor, "s", "ours<=1.2x", ours <= 1.2 * anchor)
    result(
        f"ray_jobs_{batch}",
        ours_batch,
        anchor_batch,
        "s",
        "ours<=1.2x",
        ours_batch <= 1.2 * anchor_batch,
    )


if __name__ == "__main__":
    main()
