"""One job execution: papermill runs the notebook inside one MLflow run.

Called in a worker process the agent started (`python -m jupyter_mlops.jobs.worker`),
or in the CLI's own process for `jupyter mlops run`. The notebook's own `mlflow` calls
land in the execution's run: MLFLOW_RUN_ID is handed to its kernel.
"""

from __future__ import annotations

import os
import signal
import time

import papermill
from papermill.exceptions import PapermillExecutionError

from ..services import Services
from . import gpus, kernels, store
from .engine import ENGINE_NAME, register_engine

EXECUTION_ENV = "JUPYTER_MLOPS_EXECUTION_ID"


class Cancelled(Exception):
    """Raised in the worker when the agent asks it to stop (SIGTERM)."""


class TimedOut(Exception):
    """Raised in the worker when the job's own timeout passes (SIGALRM)."""


def execute(services: Services, execution_id: str, kernel=None) -> str:
    """Run the execution to its end and record how it ended. Returns the final status.

    `kernel` is one `kernels.start` started (the warm pool's, or the worker's own,
    started before its imports), used for this job only; without it papermill starts one.
    """
    config = services.config
    execution = store.get(services.store, execution_id)
    if execution["mlflow_run_id"] is None:  # run here, not started by an agent
        from .runs import open_run

        execution = open_run(services, execution)
    spec = execution["spec"]
    notebook = config.root_dir / spec["notebook"]
    output = config.root_dir / execution["output_path"]
    output.parent.mkdir(parents=True, exist_ok=True)
    if not execution["started_at"]:
        store.update(services.store, execution_id, started_at=time.time())
    # The kernel inherits this environment: its own `mlflow` calls land in this run,
    # on this project's store, and `%mlops` in it sees the same home.
    os.environ.update(
        {**config.env(), "MLFLOW_RUN_ID": execution["mlflow_run_id"], EXECUTION_ENV: execution_id}
    )
    if execution.get("gpu_ids") is not None:
        os.environ.update(gpus.visible(execution["gpu_ids"]))

    if kernel is not None:
        kernels.prepare(kernel, notebook.parent, os.environ)
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
        kernels.shutdown(kernel)
    if store.get(services.store, execution_id)["cancel_requested"]:
        # However the stop surfaced (our handler, nbclient's own, a dead kernel).
        status, error = "cancelled", {"ename": "Cancelled", "evalue": "cancelled by request"}
    from .runs import close_run

    close_run(services, execution, status)
    store.update(services.store, execution_id, status=status, error=error, finished_at=time.time())
    return status


def _raise(kind: type[Exception]):
    def handler(signum, frame):
        raise kind()

    return handler
