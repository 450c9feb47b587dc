"""The REST door on a real jupyter server (pytest-jupyter), with the extension enabled."""

import asyncio
import json
import time

import pytest
import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.httpclient import HTTPClientError

import jupyter_mlops
from jupyter_mlops.errors import Conflict, InvalidInput, NotFound
from jupyter_mlops.server.base import MLOpsHandler


def mlops_app(serverapp):
    return serverapp.web_app.settings["jupyter_mlops"]


async def test_status_reports_the_embedded_defaults(jp_fetch, jp_root_dir):
    response = await jp_fetch("mlops", "api", "status")
    assert response.code == 200
    assert response.headers["Content-Type"] == "application/json"
    status = json.loads(response.body)
    home = jp_root_dir.resolve() / ".mlops"
    assert status["home"] == str(home)
    assert status["tracking_uri"] == f"sqlite:///{home}/mlflow.db"
    assert status["state_url"] == f"sqlite:///{home}/state.db"
    assert status["artifact_root"] == str(home / "artifacts")
    assert status["executor"] == {
        "name": "local",
        "features": {"gpus": True, "cancel": True, "live_log": True, "environments": False},
    }
    assert status["version"] == jupyter_mlops.__version__
    assert status["agent"]["state"] == "inactive"
    assert (home / "state.db").is_file()


async def test_hosted_agent_takes_the_lease_and_hands_it_back(jp_serverapp, jp_fetch):
    await jp_serverapp.extension_manager.start_all_extensions()
    status = {}
    # The agent's first pass creates the state DB: seconds on a loaded machine.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = json.loads((await jp_fetch("mlops", "api", "status")).body)
        if status["agent"]["state"] == "active":
            break
        await asyncio.sleep(0.1)
    assert status["agent"]["state"] == "active"
    assert status["agent"]["holder"].split(":")[1].isdigit()

    await jp_serverapp.extension_manager.stop_all_extensions()
    services = mlops_app(jp_serverapp).services
    assert services.project.status()["agent"]["state"] == "inactive"


async def test_server_exports_the_config_to_the_kernels_it_starts(jp_serverapp, jp_fetch):
    """A magic in a kernel started by this server sees the same stores as the REST route."""
    rest = json.loads((await jp_fetch("mlops", "api", "status")).body)
    manager = jp_serverapp.kernel_manager
    kernel_id = await manager.start_kernel(kernel_name="python3")
    client = manager.get_kernel(kernel_id).client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        outputs = []
        reply = await client.execute_interactive(
            "%load_ext jupyter_mlops\n"
            "status = %mlops status --json\n"
            "import json; print(json.dumps(status))",
            output_hook=lambda msg: outputs.append(msg),
            timeout=60,
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        text = "".join(
            m["content"]["text"]
            for m in outputs
            if m["msg_type"] == "stream" and m["content"]["name"] == "stdout"
        )
        kernel = json.loads(text)
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(kernel_id, now=True)
    for key in ("home", "tracking_uri", "state_url", "executor", "version"):
        assert kernel[key] == rest[key]


INTERNAL_ERROR = "Internal error; see the server log."


class FailingHandler(MLOpsHandler):
    """Raises what the query asks for, to check the one place errors are mapped."""

    auth_resource = "jupyter_mlops:test"
    errors = {
        "invalid": InvalidInput("gpus must be a non-negative integer", field="resources.gpus"),
        "missing": NotFound("no job 'j-42'"),
        "conflict": Conflict("job 'j-42' is already running"),
        "crash": RuntimeError("/secret/path/in/traceback password=hunter2"),
    }

    @tornado.web.authenticated
    @authorized
    async def post(self):
        kind = self.get_query_argument("raise", "")
        if kind == "body":
            self.reply(self.json_body())
            return
        raise self.errors[kind]


@pytest.fixture
def failing_route(jp_serverapp, jp_base_url):
    jp_serverapp.web_app.add_handlers(
        ".*$", [(f"{jp_base_url}mlops/api/test-errors", FailingHandler, {"name": "jupyter_mlops"})]
    )


@pytest.mark.parametrize(
    "kind, code, body",
    [
        (
            "invalid",
            400,
            {
                "code": "invalid_input",
                "message": "gpus must be a non-negative integer",
                "field": "resources.gpus",
            },
        ),
        ("missing", 404, {"code": "not_found", "message": "no job 'j-42'"}),
        ("conflict", 409, {"code": "conflict", "message": "job 'j-42' is already running"}),
        (
            "crash",
            500,
            {"code": "internal_error", "message": "Internal error; see the server log."},
        ),
    ],
)
async def test_domain_errors_map_to_http_once(failing_route, jp_fetch, kind, code, body):
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(
            "mlops", "api", "test-errors", method="POST", body="{}", params={"raise": kind}
        )
    assert caught.value.code == code
    assert json.loads(caught.value.response.body) == body


# The last: far deeper than Python's recursion limit (json.loads raised RecursionError, a 500).
@pytest.mark.parametrize("payload", ["{not json", "[1, 2]", "[" * 100_000 + "]" * 100_000])
async def test_a_body_that_is_not_a_json_object_is_a_400(failing_route, jp_fetch, payload):
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(
            "mlops", "api", "test-errors", method="POST", body=payload, params={"raise": "body"}
        )
    assert caught.value.code == 400
    assert json.loads(caught.value.response.body)["code"] == "invalid_input"


async def test_a_name_too_long_for_a_file_is_a_400_naming_it(jp_fetch):
    long = "x" * 5000
    for parts in (("features", "views", long), ("deployments", long), ("models", long, "versions")):
        with pytest.raises(HTTPClientError) as caught:
            await jp_fetch("mlops", "api", *parts)
        assert caught.value.code == 400, parts
        answer = json.loads(caught.value.response.body)
        assert answer["field"] == "name" and "longer than 255" in answer["message"]


async def test_unknown_api_path_is_a_404(jp_fetch):
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("mlops", "api", "no-such-thing")
    assert caught.value.code == 404
