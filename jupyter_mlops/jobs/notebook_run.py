"""Running one execution's notebook with papermill, in the process that calls it: a
job worker, or the CLI's own for `jupyter mlops run`. It returns how the run ended
and writes nothing but the output notebook and the progress: the lifecycle records the
outcome (see lifecycle.py).

The notebook's own `mlflow` calls land in the execution's run: MLFLOW_RUN_ID is handed
to its kernel.
"""

from __future__ import annotations

import errno
import os
import signal
from collections.abc import Callable, Mapping

import papermill
from nbclient.exceptions import DeadKernelError
from papermill.exceptions import PapermillExecutionError

from . import kernels
from .paths import ExecutionPaths
from .progress_engine import ENGINE_NAME, register_engine
from .records import Execution, FailureKind, Outcome

START_TIMEOUT = 60  # seconds for papermill to start a kernel of its own


class Cancelled(Exception):
    """Raised in the worker when the agent asks it to stop (SIGTERM)."""


class TimedOut(Exception):
    """Raised in the worker when the job's own timeout passes (SIGALRM)."""


def run(
    execution: Execution,
    paths: ExecutionPaths,
    environ: Mapping[str, str],
    kernel=None,
    progress: Callable[[int, int], None] | None = None,
) -> Outcome:
    """Run the notebook to its end (or its failing cell) into the output notebook.

    `environ` is what the kernel must see (the project's stores, MLFLOW_RUN_ID, its
    GPUs); it is set on this process, whose environment a kernel papermill starts
    inherits. `kernel` is one `kernels.start` started (the warm pool's, or the worker's
    own, started before its imports), used for this job only; without it papermill
    starts one. Must run in the main thread: signals stop it.
    """
    spec = execution.spec
    try:  # again here: the row may have changed since the agent prepared it
        paths.check()
        notebook = paths.notebook
    except Exception as err:  # moved out of the root since it was submitted, a hostile row
        return Outcome.failed(FailureKind.START, "StartFailed", getattr(err, "message", str(err)))
    paths.output.parent.mkdir(parents=True, exist_ok=True)
    os.environ.update(environ)
    register_engine()
    # Signals end papermill from the main thread, which then shuts the kernel down.
    previous_term = signal.signal(signal.SIGTERM, _raise(Cancelled))
    previous_alarm = signal.signal(signal.SIGALRM, _raise(TimedOut))
    signal.setitimer(signal.ITIMER_REAL, float(spec["timeout"]))
    try:
        if kernel is not None:
            kernels.prepare(kernel, notebook.parent, os.environ)
        papermill.execute_notebook(
            str(notebook),
            str(paths.output),
            parameters=spec["parameters"],
            engine_name=ENGINE_NAME,
            kernel_name=spec["kernel"],
            **({"km": kernel} if kernel is not None else {}),
            cwd=str(notebook.parent),
            progress_bar=False,
            log_output=True,
            start_timeout=START_TIMEOUT,
            execution_timeout=spec.get("cell_timeout"),
            # Read by the engine, to record progress as cells run.
            mlops_progress=progress,
        )
        return Outcome.succeeded()
    except PapermillExecutionError as err:
        return Outcome.failed(
            FailureKind.NOTEBOOK,
            err.ename,
            err.evalue,
            cell=err.exec_count,
            cell_index=err.cell_index,
        )
    except Cancelled:
        return Outcome.cancelled()
    except TimedOut:
        return Outcome.failed(
            FailureKind.TIMEOUT, "Timeout", f"the job ran past its {spec['timeout']}s timeout"
        )
    except DeadKernelError as err:
        return Outcome.failed(FailureKind.DEAD_KERNEL, type(err).__name__, str(err))
    except OSError as err:  # papermill writes only the output notebook
        return Outcome.failed(FailureKind.ERROR, type(err).__name__, _os_failure(err, paths))
    except Exception as err:  # a missing kernel spec, a cell timeout, a kernel that hung
        return Outcome.failed(FailureKind.ERROR, type(err).__name__, str(err))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGALRM, previous_alarm)
        if kernel is not None:
            kernels.shutdown(kernel)


def _os_failure(err: OSError, paths: ExecutionPaths) -> str:
    """What an OSError during the run means: saving the output notebook is the one write
    papermill does, and a full disk is the usual reason it fails."""
    where = str(err.filename or paths.output)  # a failed write() names no file
    doing = "saving the output notebook" if where == str(paths.output) else "running the job"
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"no space left on device while {doing} ({where})"
    return f"{err.strerror or err} while {doing} ({where})"


def _raise(kind: type[Exception]):
    def handler(signum, frame):
        raise kind()

    return handler
