"""A real JupyterLab server and a real headless Chromium (Debian's), for UI tests."""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Without the networking flags Chromium keeps trying to reach Google's hosts,
# which this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parents[2] / "test-results"


class Lab:
    def __init__(self, root: Path, port: int, token: str):
        self.root = root
        self.port = port
        self.token = token
        self.url = f"http://127.0.0.1:{port}"

    @property
    def tracking_uri(self) -> str:
        """The server's MLflow store: the embedded default under its home."""
        return f"sqlite:///{self.root / '.mlops' / 'mlflow.db'}"

    def api(self, path: str, timeout: float = 10) -> dict:
        request = urllib.request.Request(
            f"{self.url}/{path}", headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())

    def post(self, path: str, body: dict, timeout: float = 30) -> dict:
        """POST a JSON body; the answer must be 201 Created."""
        request = urllib.request.Request(
            f"{self.url}/{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            assert response.status == 201
            return json.loads(response.read())


# UI tests run Lab as a process. pytest-jupyter's autouse fixtures set up an event
# loop for an in-process server and close it after each test, which breaks the loop
# that Playwright's sync API keeps running: they are switched off in this folder.
@pytest.fixture(autouse=True)
def jp_asyncio_loop():
    yield None


@pytest.fixture(autouse=True)
def jp_server_cleanup():
    yield


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _running_lab(tmp_path_factory, name: str = "lab", args=(), extra_env=None):
    """A Lab server process until the block ends; `args` and `extra_env` add to its command
    line and environment (a test file's own executor or GPUs)."""
    root = tmp_path_factory.mktemp(f"{name}-root")
    config = tmp_path_factory.mktemp(f"{name}-config")
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_MLOPS_")}
    env.pop("MLFLOW_TRACKING_URI", None)
    env.update(extra_env or {})
    env.update(JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(config / "runtime"))
    log = (config / "lab.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1"]
        + [f"--ServerApp.port={port}", f"--IdentityProvider.token={token}"]
        + [f"--ServerApp.root_dir={root}", "--ServerApp.allow_root=True"]
        + [f"--LabApp.workspaces_dir={config / 'workspaces'}"]
        + ["--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        + ["--MLOpsApp.agent_interval=0.5", "--MLOpsApp.agent_lease_seconds=5"]
        # Every answer the panels get is checked against its response schema.
        + ["--MLOpsApp.validate_responses=True"]
        + list(args),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Lab(root, port, token)
    deadline = time.monotonic() + 90
    while True:
        try:
            server.api("api/status")
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"JupyterLab did not start:\n{(config / 'lab.log').read_text()}")
            time.sleep(0.3)
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    with _running_lab(tmp_path_factory) as server:
        yield server


@pytest.fixture(scope="session")
def start_lab(tmp_path_factory):
    """For a Lab configured otherwise, held by a module-scoped fixture of its test file:
    `with start_lab("name", args=[...], extra_env={...}) as server`."""

    def start(name: str, args=(), extra_env=None):
        return _running_lab(tmp_path_factory, name, args=args, extra_env=extra_env)

    return start


@pytest.fixture(scope="session")
def mlflow_lab(tmp_path_factory):
    """A Lab of its own for tests that write runs and models: the shared `lab` stays
    empty for the tests that expect the sections' empty states."""
    with _running_lab(tmp_path_factory, "mlflow-lab") as server:
        # The server creates the store (and its Default experiment, with artifacts
        # under the home) before any test writes to it with plain mlflow. The first call
        # imports MLflow and creates its tables: seconds, more on a loaded machine.
        server.api("mlops/api/experiments", timeout=120)
        yield server


@pytest.fixture
def mlflow_client(mlflow_lab):
    """A plain MLflow client on the store the `mlflow_lab` server reads."""
    import mlflow

    uri = mlflow_lab.tracking_uri
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: the README's test command installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{request.node.name}.png")
    context.close()


@pytest.fixture
def open_sidebar(page):
    """Open Lab at `lab` and show the MLOps sidebar; returns the sidebar's locator."""
    from playwright.sync_api import expect

    def open_(lab):
        # `reset`: a workspace saved by an earlier test would restore the sidebar
        # open (so the click below would close it) and its main-area views.
        page.goto(f"{lab.url}/lab?reset&token={lab.token}")
        tab = page.locator('.jp-SideBar [data-id="jp-mlops-sidebar"]')
        expect(tab).to_be_visible(timeout=60_000)
        tab.click()
        sidebar = page.locator("#jp-mlops-sidebar")
        expect(sidebar).to_be_visible()
        # Sections an earlier test collapsed may come back collapsed: every test starts
        # with all of them open.
        for title in sidebar.locator('.lm-AccordionPanel-title[aria-expanded="false"]').all():
            title.click()
        return sidebar

    return open_
