"""The MLflow run of a job execution: opened before its notebook runs, closed at its end.

The agent opens it when it starts the execution (it has MLflow loaded already), so the
kernel starts with MLFLOW_RUN_ID in its environment and a worker started for the job
does not wait a second for MLflow's import before the notebook can run. `jupyter mlops
run` opens it in its own process.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from ..services import Services
from ..tracking import capture, lineage
from . import store

OUTCOMES = {"succeeded": "FINISHED", "failed": "FAILED", "cancelled": "KILLED"}


def open_run(services: Services, execution: dict) -> dict:
    """Create the run with the job's params, lineage and source; return the execution
    as recorded with its run id, output path and reproducibility inputs."""
    from mlflow.entities import Param, RunTag

    config, tracking, spec = services.config, services.tracking, execution["spec"]
    notebook = config.root_dir / spec["notebook"]
    run = tracking.client.create_run(
        tracking.experiment_id(spec["experiment"]),
        run_name=f"{spec['name']}-{execution['id'][:8]}",
        tags={
            lineage.JOB_ID: execution["id"],
            **spec.get("tags", {}),
            # A sweep's children show nested under its parent run in MLflow's UI.
            **({"mlflow.parentRunId": spec["parent_run_id"]} if spec.get("parent_run_id") else {}),
        },
    )
    run_id = run.info.run_id
    tags = capture.source_tags(notebook, config.root_dir, config.home, spec["kernel"])
    tracking.client.log_batch(
        run_id,
        params=[Param(k, str(v)[:6000]) for k, v in spec["parameters"].items()],
        tags=[RunTag(k, v) for k, v in tags.items()],
    )
    tracking.client.log_artifact(run_id, str(notebook), "input")
    tracking.client.log_text(run_id, capture.requirements(), "environment/requirements.txt")
    output = output_path(services, execution)
    store.update(
        services.store,
        execution["id"],
        mlflow_run_id=run_id,
        output_path=str(output.relative_to(config.root_dir)),
        inputs=_inputs(notebook, spec),
    )
    return store.get(services.store, execution["id"])


def close_run(services: Services, execution: dict, status: str) -> None:
    """The output notebook (what ran, even when a cell failed) and how the run ended."""
    client, run_id = services.tracking.client, execution["mlflow_run_id"]
    output = output_path(services, execution)
    if output.exists():  # papermill writes it as cells run
        client.log_artifact(run_id, str(output), "output")
    client.set_terminated(run_id, OUTCOMES[status])
    # The feature versions its training sets came from are inputs a reproduction compares.
    features = client.get_run(run_id).data.tags.get(lineage.FEATURES)
    if features:
        inputs = store.get(services.store, execution["id"])["inputs"] or {}
        store.update(services.store, execution["id"], inputs={**inputs, "features": features})


def output_path(services: Services, execution: dict) -> Path:
    """Where the executed notebook is kept: under the home, by execution."""
    name = Path(execution["spec"]["notebook"]).name
    return services.config.home / "jobs" / execution["id"] / name


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
