"""One job execution: papermill runs the notebook inside one MLflow run.

Called in a worker process the agent started (`python -m jupyter_mlops.jobs.worker`),
or in the CLI's own process for `jupyter mlops run`. The notebook's own `mlflow` calls
land in the execution's run: MLFLOW_RUN_ID is handed to its kernel.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
import time
from pathlib import Path

import papermill
from mlflow.entities import Param, RunTag
from papermill.exceptions import PapermillExecutionError

from ..services import Services
from ..tracking import capture, lineage
from . import store
from .engine import ENGINE_NAME, register_engine

EXECUTION_ENV = "JUPYTER_MLOPS_EXECUTION_ID"


class Cancelled(Exception):
    """Raised in the worker when the agent asks it to stop (SIGTERM)."""


class TimedOut(Exception):
    """Raised in the worker when the job's own timeout passes (SIGALRM)."""


def execute(services: Services, execution_id: str, kernel=None) -> str:
    """Run the execution to its end and record how it ended. Returns the final status.

    `kernel` is a started KernelManager from the warm pool, used for this job only;
    without it papermill starts a fresh kernel.
    """
    config, tracking = services.config, services.tracking
    execution = store.get(services.store, execution_id)
    spec = execution["spec"]
    notebook = config.root_dir / spec["notebook"]
    outputs = config.home / "jobs" / execution_id
    outputs.mkdir(parents=True, exist_ok=True)
    output = outputs / notebook.name

    run_id = _start_run(services, execution, notebook)
    store.update(
        services.store,
        execution_id,
        mlflow_run_id=run_id,
        output_path=str(output.relative_to(config.root_dir)),
        inputs=_inputs(notebook, spec),
        **({} if execution["started_at"] else {"started_at": time.time()}),
    )
    # The kernel inherits this environment: its own `mlflow` calls land in this run,
    # on this project's store, and `%mlops` in it sees the same home.
    os.environ.update({**config.env(), "MLFLOW_RUN_ID": run_id, EXECUTION_ENV: execution_id})
    if execution.get("gpu_ids") is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(execution["gpu_ids"])

    if kernel is not None:
        _prepare(kernel, notebook.parent, os.environ)
    register_engine()
    # Signals end papermill from the main thread, which then shuts the kernel down.
    previous_term = signal.signal(signal.SIGTERM, _raise(Cancelled))
    previous_alarm = signal.signal(signal.SIGALRM, _raise(TimedOut))
    signal.setitimer(signal.ITIMER_REAL, float(spec["timeout"]))
    status, error = "succeeded", None
    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=spec["parameters"],
            engine_name=ENGINE_NAME,
            kernel_name=spec["kernel"],
            **({"km": kernel} if kernel is not None else {}),
            cwd=str(notebook.parent),
            progress_bar=False,
            log_output=True,
            start_timeout=60,
            execution_timeout=spec.get("cell_timeout"),
            # Read by the engine, to record progress as cells run.
            mlops_progress=lambda done, total: store.update(
                services.store, execution_id, cells_done=done, cells_total=total
            ),
        )
    except PapermillExecutionError as err:
        status = "failed"
        error = {
            "cell": err.exec_count,
            "cell_index": err.cell_index,
            "ename": err.ename,
            "evalue": err.evalue,
        }
    except Cancelled:
        status, error = "cancelled", {"ename": "Cancelled", "evalue": "cancelled by request"}
    except TimedOut:
        status = "failed"
        error = {"ename": "Timeout", "evalue": f"the job ran past its {spec['timeout']}s timeout"}
    except Exception as err:  # a dead kernel, a timeout, a missing kernel spec
        status = "failed"
        error = {"ename": type(err).__name__, "evalue": str(err)[:2000]}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGALRM, previous_alarm)

    if kernel is not None:
        kernel.shutdown_kernel(now=True)
    if store.get(services.store, execution_id)["cancel_requested"]:
        # However the stop surfaced (our handler, nbclient's own, a dead kernel).
        status, error = "cancelled", {"ename": "Cancelled", "evalue": "cancelled by request"}
    if output.exists():  # papermill writes it as cells run, so a failure keeps what ran
        tracking.client.log_artifact(run_id, str(output), "output")
    tracking.client.set_terminated(
        run_id, {"succeeded": "FINISHED", "failed": "FAILED", "cancelled": "KILLED"}[status]
    )
    store.update(services.store, execution_id, status=status, error=error, finished_at=time.time())
    return status


def _start_run(services: Services, execution: dict, notebook: Path) -> str:
    """The execution's MLflow run: its params, lineage and source recorded up front."""
    tracking, spec = services.tracking, execution["spec"]
    experiment_id = tracking.experiment_id(spec["experiment"])
    run = tracking.client.create_run(
        experiment_id,
        run_name=f"{spec['name']}-{execution['id'][:8]}",
        tags={
            lineage.JOB_ID: execution["id"],
            **spec.get("tags", {}),
            # A sweep's children show nested under its parent run in MLflow's UI.
            **({"mlflow.parentRunId": spec["parent_run_id"]} if spec.get("parent_run_id") else {}),
        },
    )
    run_id = run.info.run_id
    config = services.config
    tags = capture.source_tags(notebook, config.root_dir, config.home, spec["kernel"])
    tracking.client.log_batch(
        run_id,
        params=[Param(k, str(v)[:6000]) for k, v in spec["parameters"].items()],
        tags=[RunTag(k, v) for k, v in tags.items()],
    )
    tracking.client.log_artifact(run_id, str(notebook), "input")
    tracking.client.log_text(run_id, capture.requirements(), "environment/requirements.txt")
    return run_id


def _prepare(kernel, cwd: Path, environ) -> None:
    """Give a pool kernel, started before its job was known, the job's folder and
    environment (MLFLOW_RUN_ID and the project's stores) before the notebook runs."""
    import json

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
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(code, store_history=False, timeout=60)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"preparing the pool kernel failed: {reply['content']}")
    finally:
        client.stop_channels()


def _inputs(notebook: Path, spec: dict) -> dict:
    """What reproducing this execution needs, and what a reproduction compares."""
    git = capture.git_state(notebook.parent)
    return {
        "notebook_sha256": hashlib.sha256(notebook.read_bytes()).hexdigest(),
        "parameters": spec["parameters"],
        "kernel": spec["kernel"],
        "python": sys.version.split()[0],
        "packages_sha256": hashlib.sha256(capture.requirements().encode()).hexdigest(),
        "git_commit": git[0] if git else None,
        "git_dirty": git[1] if git else None,
    }


def _raise(kind: type[Exception]):
    def handler(signum, frame):
        raise kind()

    return handler
