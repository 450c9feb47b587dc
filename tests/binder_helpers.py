"""The Binder demo notebook run top to bottom on a real kernel against a headless agent
(in Binder, Lab's server hosts it), each step checked; on whatever stores the
environment names (the embedded defaults, or the team stack's servers)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from jupyter_mlops.config import resolve
from jupyter_mlops.services import Services

DEMO = Path(__file__).parents[1] / "binder" / "getting-started.ipynb"
JUPYTER = str(Path(sys.executable).parent / "jupyter")


@contextmanager
def demo_agent(home: Path, root: Path):
    """An agent on `home` (settings from the environment, as the kernel's are) and the
    Services a test checks the demo's work with."""
    agent = subprocess.Popen(
        [JUPYTER, "mlops", "--home", str(home), "agent", "--interval", "0.2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "JUPYTER_MLOPS_JOB_POOL": "0"},
    )
    services = Services(resolve(home=home, root_dir=root))
    try:
        deadline = time.monotonic() + 30
        while not services.deployments.agent_active():
            assert time.monotonic() < deadline, "the agent never took the lease"
            time.sleep(0.2)
        yield services
        # A notebook that failed half-way leaves its deployment serving: stop it while
        # the agent is there to.
        for deployment in services.deployments.deployments():
            if deployment["status"] != "stopped":
                services.deployments.undeploy(deployment["name"])
        deadline = time.monotonic() + 30
        while any(d["status"] != "stopped" for d in services.deployments.deployments()):
            assert time.monotonic() < deadline, "the demo's deployment never stopped"
            time.sleep(0.2)
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=30)
        services.close()


def text(cell) -> str:
    return "\n".join(
        str(output.get("data", {}).get("text/plain", output.get("text", "")))
        for output in cell.outputs
    )


def run_demo_and_check(services: Services, root: Path) -> None:
    """Execute the demo in `root` (the kernel takes this process's environment, whose
    JUPYTER_MLOPS_HOME must be the agent's home) and check what each step did."""
    home = services.config.home
    assert os.environ["JUPYTER_MLOPS_HOME"] == str(home)
    notebook = nbformat.read(DEMO, as_version=4)
    NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(root)}},
    ).execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    by_source = {cell.source.splitlines()[0]: cell for cell in code}

    assert "agent.state" in code[1].outputs[0]["data"]["text/html"]
    browser = by_source["%mlops features customer_activity"].outputs[0]["data"]
    assert "application/vnd.jupyter.widget-view+json" in browser
    assert "churn" in text(by_source["%mlops register $run_id --name churn --alias champion"])
    deployed = text(by_source["%mlops deploy models:/churn@champion --name churn --wait"])
    assert "ready" in deployed and "churn v1" in deployed
    assert "[300 rows x 1 columns]" in text(by_source["incoming = X.sample(300, random_state=1)"])
    drifted = text(by_source['drift.report["drifted"]  # the columns whose distribution moved'])
    assert "'spend'" in drifted and "'sessions'" not in drifted
    # Against the training-set sample the tracked run logged, not the traffic's first hour
    # (which held the shifted requests too).
    assert services.monitoring.drift("churn", 3600, None)["reference"]["source"] == "training_set"
    assert "churn: stopping" in text(by_source["%mlops undeploy churn"])
    deadline = time.monotonic() + 30
    while services.deployments.get("churn")["status"] != "stopped":
        assert time.monotonic() < deadline, "the agent never stopped the demo's deployment"
        time.sleep(0.2)
    assert str(home.resolve()) in text(code[-1])
