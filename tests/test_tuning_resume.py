"""A search survives its agent being killed: everything it needs is in the study and the
state DB (a file of its own, so that parallel workers share the tuning tests out)."""

import os
import signal
import subprocess
import time

from cli_helpers import JUPYTER
from jobs_helpers import QUADRATIC, notebook, services_for

from jupyter_mlops.config import GPUS_ENV


def test_a_search_resumes_after_the_agent_is_killed(tmp_path):
    notebook(tmp_path / "quad.ipynb", "x = 0.0", QUADRATIC)
    services = services_for(tmp_path)
    search_id = services.tuning.submit(
        {
            "notebook": "quad.ipynb",
            "search": {
                "metric": "loss",
                "space": {"x": {"low": -5.0, "high": 5.0}},
                "trials": 8,
                "parallel": 2,
                "sampler": "random",
                "seed": 3,
            },
        }
    )["search"]["id"]
    env = {**os.environ, **services.config.env(), GPUS_ENV: "none"}

    def agent():
        return subprocess.Popen(
            [JUPYTER, "mlops", "agent"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    first = agent()
    try:
        deadline = time.monotonic() + 180
        while services.tuning.search(search_id)["counts"]["complete"] < 3:
            assert time.monotonic() < deadline, services.tuning.search(search_id)["counts"]
            time.sleep(0.3)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the agent and its workers, mid-search
        first.wait(timeout=30)
    second = agent()
    try:
        deadline = time.monotonic() + 240
        while (search := services.tuning.search(search_id))["status"] != "finished":
            assert time.monotonic() < deadline, search["counts"]
            time.sleep(0.5)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=60)
    trials = search["trials"]
    assert len(trials) == 8 and {t["number"] for t in trials} == set(range(8))
    # Trials the killed agent left running ended failed (their workers died with it);
    # every other one completed, and the search went on to its 8 trials.
    assert search["counts"]["complete"] >= 6 and search["counts"]["running"] == 0
    assert search["best"] is not None
    services.close()
