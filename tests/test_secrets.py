"""No credential of a tracking URI or state URL shows in an answer or a log line: every
shape SQLAlchemy and MLflow accept is masked, and the URL still says where it points."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from jobs_helpers import notebook

from jupyter_mlops.config import redact_url
from jupyter_mlops.errors import InvalidInput
from jupyter_mlops.redact import RedactingFilter, guard_log, redact_text

JUPYTER = str(Path(sys.executable).parent / "jupyter")

# (URL, what must not show, what must still show). Where the password holds an `@`, what
# shows is the mask right before the host: no piece of the password between them.
SHAPES = [
    ("postgresql://mlops:s3cret@db.internal:5432/state", "s3cret", "db.internal:5432/state"),
    ("postgresql+psycopg://mlops:s3cret@db.internal/state", "s3cret", "db.internal/state"),
    ("postgresql://mlops:p@ss@db.internal/state", "p@ss", "mlops:***@db.internal/state"),
    ("postgresql://mlops:p@ss@w@rd@db.internal/state", "ss@w", "mlops:***@db.internal/state"),
    ("postgresql://mlops:pa/ss@db.internal/state", "pa/ss", "mlops:***@db.internal/state"),
    ("postgresql://mlops:pa?ss@db.internal/state?sslmode=require", "pa?ss", "sslmode=require"),
    ("postgresql://mlops:pa:ss@db.internal/state", "pa:ss", "mlops:***@db.internal/state"),
    ("postgresql://mlops:p%40ss@db.internal/state", "p%40ss", "db.internal/state"),
    ("postgresql://mlops@db.internal/state?password=s3cret", "s3cret", "mlops@db.internal/state"),
    ("postgresql://db.internal/state?sslpassword=s3cret&sslmode=verify-full", "s3cret", "verify"),
    ("postgresql://mlops:pw1@[::1]:5432/state", "pw1", "[::1]:5432/state"),
    ("mysql+pymysql://root:s3cret@db.internal/mlflow?charset=utf8mb4", "s3cret", "charset=utf8"),
    ("mysql://db.internal/mlflow?token=s3cret", "s3cret", "db.internal/mlflow"),
    ("mssql+pyodbc://sa:s3cret@dsn_name", "s3cret", "dsn_name"),
    ("mssql+pyodbc://sa@dsn?odbc_connect=DRIVER%3D%7BX%7D%3BPWD%3Ds3cret", "s3cret", "dsn"),
    ("snowflake://me:s3cret@account/db/schema?warehouse=wh", "s3cret", "account/db/schema"),
    ("https://alice:tok3n@mlflow.example.com", "tok3n", "alice:***@mlflow.example.com"),
    ("https://tok3n@mlflow.example.com/", "tok3n", "mlflow.example.com/"),
    ("http://mlflow.example.com:5000/?access_token=tok3n", "tok3n", "mlflow.example.com:5000"),
    ("https://mlflow.example.com/?api_key=tok3n&experiment=1", "tok3n", "experiment=1"),
    ("https://mlflow.example.com/?client_secret=tok3n#top", "tok3n", "#top"),
    ("postgresql://u:pw@db.internal/state?application_name=a@b", "pw@", "application_name=a@b"),
    ("sqlite:////home/a@b/.mlops/state.db?password=s3cret", "s3cret", "/home/a@b/.mlops"),
]


@pytest.mark.parametrize(("url", "secret", "kept"), SHAPES, ids=[s[0][:40] for s in SHAPES])
def test_redact_url_masks_every_shape(url, secret, kept):
    shown = redact_url(url)
    assert secret not in shown
    assert kept in shown
    assert "***" in shown


@pytest.mark.parametrize(
    "plain",
    ["sqlite:////home/me/.mlops/mlflow.db", "databricks", "file:///srv/mlruns", "./mlruns"]
    + ["http://mlflow.example.com:5000/api/x@y", "s3://bucket/models/a@b"],
)
def test_urls_without_credentials_are_unchanged(plain):
    assert redact_url(plain) == plain


def test_messages_are_masked_for_every_door(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "hunter22")
    text = (
        "API request to https://alice:tok3n@mlflow.example.com/api/2.0/mlflow/runs/get failed "
        "(basic auth hunter22); state at 'postgresql://mlops:p@ss@db/state'"
    )
    shown = redact_text(text)
    assert not {"tok3n", "hunter22", "p@ss"} & set(shown.replace("'", " ").split(" "))
    assert "tok3n" not in shown and "hunter22" not in shown and "p@ss" not in shown
    assert "mlflow.example.com/api/2.0/mlflow/runs/get" in shown and "@db/state" in shown
    # A domain error's message is what the server answers, the CLI and magics print.
    error = InvalidInput(text)
    assert "tok3n" not in error.message and "tok3n" not in str(error)


PLANTED = "Pl4nted5ecret"


def mlops(*args, cwd, env=None):
    return subprocess.run(
        [JUPYTER, "mlops", *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def planted(tmp_path) -> tuple[list[str], dict]:
    home = tmp_path / ".mlops"
    home.mkdir()
    # sqlite takes (and ignores) query arguments: real stores behind secret-bearing URLs.
    state = f"sqlite:///{home}/state.db?password={PLANTED}"
    tracking = f"sqlite:///{home}/mlflow.db?token={PLANTED}"
    return ["--home", str(home), "--state-url", state], {"MLFLOW_TRACKING_URI": tracking}


def test_cli_status_json_and_run_show_no_password(tmp_path):
    options, env = planted(tmp_path)
    status = mlops(*options, "status", "--json", cwd=tmp_path, env=env)
    assert status.returncode == 0, status.stderr
    assert PLANTED not in status.stdout + status.stderr
    report = json.loads(status.stdout)
    assert report["state_url"].endswith("state.db?password=***")
    assert report["tracking_uri"].endswith("mlflow.db?token=***")

    notebook(tmp_path / "train.ipynb", "epochs = 2", "print('trained', epochs)")
    run = mlops(*options, "run", "train.ipynb", cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert PLANTED not in run.stdout + run.stderr
    line = next(x for x in run.stdout.splitlines() if x.startswith("mlflow run:"))
    assert line.endswith("mlflow.db?token=***)")


@pytest.fixture
def jp_server_config(jp_server_config, tmp_path):
    home = tmp_path / "team-home"
    jp_server_config["MLOpsApp"].update(
        home=str(home),
        state_url=f"sqlite:///{home}/state.db?password={PLANTED}",
        tracking_uri=f"https://alice:{PLANTED}@mlflow.example.com/?access_token={PLANTED}",
    )
    return jp_server_config


async def test_get_status_shows_no_password(jp_fetch):
    answer = await jp_fetch("mlops", "api", "status")
    body = answer.body.decode()
    assert PLANTED not in body
    status = json.loads(body)
    assert status["tracking_uri"] == "https://alice:***@mlflow.example.com/?access_token=***"
    assert status["state_url"].endswith("team-home/state.db?password=***")


def test_log_lines_and_tracebacks_are_masked():
    stream = io.StringIO()
    parent = logging.getLogger("test_secrets.parent")
    handler = logging.StreamHandler(stream)
    parent.addHandler(handler)
    child = logging.getLogger("test_secrets.parent.child")
    try:
        guard_log(child)  # the handlers its records reach, up the chain
        guard_log(child)  # once each
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
        child.warning("tracking at %s", f"https://alice:{PLANTED}@mlflow.example.com")
        try:
            raise RuntimeError(f"API request to https://bob:{PLANTED}@mlflow.example.com failed")
        except RuntimeError:
            child.exception("store at postgresql://u:%s@db/state failed", PLANTED)
    finally:
        parent.removeHandler(handler)
    written = stream.getvalue()
    assert PLANTED not in written
    assert "alice:***@mlflow.example.com" in written and "u:***@db/state" in written
    assert "RuntimeError: API request to https://bob:***@mlflow.example.com" in written


async def test_the_server_log_is_masked(jp_serverapp):
    app = jp_serverapp.web_app.settings["jupyter_mlops"]
    handlers = [h for logger in (app.log, jp_serverapp.log) for h in logger.handlers]
    assert handlers
    url = f"https://alice:{PLANTED}@mlflow.example.com"
    for handler in handlers:
        record = app.log.makeRecord(app.log.name, logging.ERROR, __file__, 1, "at %s", (url,), None)
        assert handler.filter(record)
        assert PLANTED not in handler.format(record)
