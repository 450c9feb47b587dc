"""The kernel door, in-process: an InteractiveShell with the extension loaded."""

import pytest
from IPython.core.error import UsageError
from magic_helpers import mlops_shell

from jupyter_mlops.services import Services
from jupyter_mlops.tracking import default as tracking_default


@pytest.fixture
def shell(tmp_path, monkeypatch):
    with mlops_shell(monkeypatch, tmp_path / "home") as shell:
        yield shell


def test_status_matches_the_service_the_server_calls(shell, tmp_path):
    from_magic = shell.run_line_magic("mlops", "status --json")
    assert from_magic == Services.from_env().project.status()
    assert from_magic["home"] == str((tmp_path / "home").resolve())


def test_status_renders_as_a_table(shell, tmp_path):
    shown = shell.run_line_magic("mlops", "status")
    html = shown._repr_html_()
    assert "<table" in html and str((tmp_path / "home").resolve()) in html
    assert "agent.state" in html
    pretty = shell.display_formatter.format(shown)[0]["text/plain"]
    assert "home" in pretty and "inactive" in pretty


def test_unknown_verb_is_a_usage_error_not_a_crash(shell):
    with pytest.raises(UsageError, match="invalid choice: 'deploy-everything'"):
        shell.run_line_magic("mlops", "deploy-everything")


def test_missing_verb_is_a_usage_error(shell):
    with pytest.raises(UsageError, match="VERB"):
        shell.run_line_magic("mlops", "")


def test_help_does_not_exit_the_kernel(shell, capsys):
    assert shell.run_line_magic("mlops", "--help") is None
    # Printed once, and no usage error after it (tests/test_magic_doors.py).
    assert capsys.readouterr().out.count("usage: %mlops") == 1


def test_domain_errors_become_one_line_messages(shell, monkeypatch):
    monkeypatch.setenv("JUPYTER_MLOPS_EXECUTOR", "slurm")
    tracking_default.cache_clear()
    with pytest.raises(UsageError, match="%mlops status: unknown executor 'slurm'"):
        shell.run_line_magic("mlops", "status")
