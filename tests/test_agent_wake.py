"""A job queued or cancelled through the server hosting the agent is acted on at once,
not at the agent's next step."""

import json

import pytest
from jobs_helpers import finished, notebook, until

SLOW_STEPS = 60.0  # the agent would step again only after this; the test ends sooner


@pytest.fixture
def jp_server_config(jp_server_config):
    jp_server_config["MLOpsApp"].update(
        agent_interval=SLOW_STEPS, agent_lease_seconds=2 * SLOW_STEPS, job_pool_size=0
    )
    return jp_server_config


async def post(jp_fetch, *path, body):
    return json.loads((await jp_fetch(*path, method="POST", body=json.dumps(body))).body)


async def test_submit_and_cancel_wake_the_agent(jp_fetch, jp_root_dir, jp_serverapp):
    await jp_serverapp.extension_manager.start_all_extensions()
    app = jp_serverapp.web_app.settings["jupyter_mlops"]
    jobs = app.services.jobs
    await until(lambda: app.agent.leader, timeout=30)  # its first step, at start
    notebook(jp_root_dir / "quick.ipynb", "x = 1", "print(x)")
    notebook(jp_root_dir / "slow.ipynb", "seconds = 120", "import time; time.sleep(seconds)")

    quick = await post(jp_fetch, "mlops", "api", "jobs", body={"notebook": "quick.ipynb"})
    done = await until(lambda: finished(jobs, quick["execution"]["id"]), timeout=SLOW_STEPS / 2)
    assert done["status"] == "succeeded", done["error"]

    slow = (await post(jp_fetch, "mlops", "api", "jobs", body={"notebook": "slow.ipynb"}))[
        "execution"
    ]
    await until(lambda: jobs.execution(slow["id"])["pid"], timeout=SLOW_STEPS / 2)
    await post(jp_fetch, "mlops", "api", "jobs", "executions", slow["id"], "cancel", body={})
    done = await until(lambda: finished(jobs, slow["id"]), timeout=SLOW_STEPS / 2)
    assert done["status"] == "cancelled"
    await jp_serverapp.extension_manager.stop_all_extensions()
