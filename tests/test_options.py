"""The option sets the CLI and `%mlops` share (`jupyter_mlops.cli.options`): the same words
build the same request body in either door, each door's parser reports bad words its own
way, and argparse stays in the doors. In process: no services are built."""

import shlex

import pytest
from IPython.core.error import UsageError
from magic_helpers import mlops_shell

from jupyter_mlops.cli import build_parser, main
from jupyter_mlops.cli.options.deployments import deployment_request
from jupyter_mlops.cli.options.jobs import job_request
from jupyter_mlops.config import resolve
from jupyter_mlops.errors import InvalidInput
from jupyter_mlops.kernel.args import parse

JOB = (
    "nb/train.ipynb -p epochs 4 -p lr 0.1 --kernel python3 --experiment nightly --timeout 60 "
    "--max-attempts 3 --backoff 5"
)
QUEUED = "--gpus 1 --cron '0 3 * * *' --timezone Europe/Paris"
JOB_BODY = {
    "notebook": "nb/train.ipynb",
    "parameters": {"epochs": 4, "lr": 0.1},
    "kernel": "python3",
    "experiment": "nightly",
    "timeout": 60.0,
    "retry": {"max_attempts": 3, "backoff_seconds": 5.0},
}
DEPLOY = (
    "models:/churn@champion --name churn --port 8123 --request-timeout 5 --startup-timeout 90 "
    "--threads 4 --gpus '0, 1' --canary 10 --max-error-rate 0.05 --max-p99-ms 250 "
    "--retrain-job retrain.ipynb --retrain-on drift,performance --retrain-min-accuracy 0.8"
)


@pytest.fixture
def config(tmp_path):
    """A project's configuration (where -f files are read); nothing is created."""
    return resolve(root_dir=tmp_path, home=tmp_path / ".mlops", environ={})


def cli(line: str):
    return build_parser().parse_args(shlex.split(line))


def test_a_job_submitted_from_either_door_is_the_same_body(config):
    body = job_request(cli(f"jobs submit {JOB} {QUEUED}"), config)
    assert body == job_request(parse(f"job submit {JOB} {QUEUED}"), config)
    assert body == {
        **JOB_BODY,
        "resources": {"gpus": 1},
        "schedule": {"cron": "0 3 * * *", "timezone": "Europe/Paris"},
    }
    assert job_request(parse("job submit nb/train.ipynb"), config) == {
        "notebook": "nb/train.ipynb",
        "parameters": {},
    }


def test_run_here_takes_the_job_options_but_no_queue_options(capsys, config):
    assert job_request(cli(f"run {JOB}"), config) == JOB_BODY
    with pytest.raises(SystemExit) as exited:
        cli("run nb/train.ipynb --gpus 1")
    assert exited.value.code == 2
    assert "unrecognized arguments: --gpus 1" in capsys.readouterr().err


def test_a_deployment_from_either_door_is_the_same_body():
    body = deployment_request(cli(f"deploy {DEPLOY}"))
    assert body == deployment_request(parse(f"deploy {DEPLOY}"))
    assert body == {
        "name": "churn",
        "model_uri": "models:/churn@champion",
        "strategy": {"type": "canary", "percent": 10.0},
        "port": 8123,
        "request_timeout": 5.0,
        "startup_timeout": 90.0,
        "resources": {"threads": 4, "gpus": ["0", "1"]},
        "budget": {"error_rate": 0.05, "p99_ms": 250.0},
        "trigger": {"job": "retrain.ipynb", "on": ["drift", "performance"], "min_accuracy": 0.8},
    }
    plain = "deploy models:/churn/3 -n churn"
    assert deployment_request(parse(plain)) == deployment_request(cli(plain))
    assert deployment_request(cli(plain)) == {"name": "churn", "model_uri": "models:/churn/3"}
    assert deployment_request(cli(f"{plain} --shadow"))["strategy"] == {"type": "shadow"}
    assert deployment_request(parse(f"{plain} --blue-green"))["strategy"] == {"type": "blue_green"}


@pytest.mark.parametrize(
    "extra", ["--retrain-on drift", "--retrain-min-accuracy 0.9", "--retrain-max-mae 2"]
)
def test_retrain_limits_need_a_job(extra):
    with pytest.raises(InvalidInput, match="need --retrain-job") as raised:
        deployment_request(cli(f"deploy models:/churn/3 --name churn {extra}"))
    assert raised.value.field == "trigger.job"


def test_a_domain_error_is_one_line_in_the_cli(tmp_path, capsys):
    code = main(
        ["--home", str(tmp_path / "home"), "deploy", "models:/churn/3", "--name", "churn"]
        + ["--retrain-on", "drift"]
    )
    assert code == 1
    assert capsys.readouterr().err == (
        "jupyter mlops deploy: the --retrain-* options need --retrain-job\n"
    )


def test_a_domain_error_is_one_usage_line_in_the_magic(tmp_path, monkeypatch):
    with mlops_shell(monkeypatch, tmp_path / "home") as shell:
        with pytest.raises(UsageError) as raised:
            shell.run_line_magic("mlops", "deploy models:/churn/3 --name churn --retrain-on drift")
    assert str(raised.value) == "%mlops deploy: the --retrain-* options need --retrain-job"


def test_bad_words_in_a_shared_option_set_raise_in_the_magic_and_exit_in_the_cli(capsys):
    with pytest.raises(UsageError, match="--gpus: invalid int value: 'many'"):
        parse("job submit nb/train.ipynb --gpus many")
    with pytest.raises(SystemExit) as exited:
        cli("jobs submit nb/train.ipynb --gpus many")
    assert exited.value.code == 2
    assert "--gpus: invalid int value: 'many'" in capsys.readouterr().err
    with pytest.raises(UsageError, match="not allowed with argument --canary"):
        parse("deploy models:/churn/3 --name churn --canary 5 --shadow")


def test_the_magic_takes_the_options_the_cli_had():
    # Declared once, so the magic now has what only the CLI had before.
    assert parse("undeploy churn --wait").wait is True
    assert parse("undeploy churn").wait is False
    assert parse("triggers churn --json").json is True
    assert parse("job submit nb/train.ipynb -p epochs 2").parameters == [("epochs", "2")]
    found = parse("features --query rides")
    assert (found.query, found.view) == ("rides", None)
    assert parse("drift churn --window 60 --version 2").window == 60
