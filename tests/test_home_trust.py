"""Which MLOps home a door takes: never one another user owns unless told to (as git
refuses a `.git` it does not own), and never one created by a verb that only reads.

Real `jupyter mlops` processes and a real IPython shell; ownership is real too: the
folder is given to another uid (nobody), which root may do and these tests need."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from jobs_helpers import notebook

from jupyter_mlops.config import HOME_ENV, TRUSTED_HOMES_ENV, find_home, resolve
from jupyter_mlops.errors import InvalidInput
from jupyter_mlops.tracking import default as tracking_default

JUPYTER = str(Path(sys.executable).parent / "jupyter")
NOBODY = 65534

needs_chown = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="giving a folder to another user takes root",
)


def mlops(*args, cwd, env=None):
    return subprocess.run(
        [JUPYTER, "mlops", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def foreign_home(tmp_path):
    """A shared parent holding a `.mlops/` another user made, and a folder of ours in it."""
    home = tmp_path / "shared" / ".mlops"
    home.mkdir(parents=True)
    os.chown(home, NOBODY, NOBODY)
    (tmp_path / "shared" / "mine").mkdir()
    return home


@needs_chown
def test_cli_refuses_a_home_found_upward_that_another_user_owns(foreign_home):
    result = mlops("status", cwd=foreign_home.parent / "mine")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jupyter mlops status: refusing the MLOps home")
    # It names the folder, its owner, and the ways to trust it.
    assert str(foreign_home) in lines[0] and "uid 65534" in lines[0]
    assert TRUSTED_HOMES_ENV in lines[0] and "--home" in lines[0]
    assert list(foreign_home.iterdir()) == []  # nothing opened, nothing created in it


@needs_chown
def test_a_foreign_home_listed_as_trusted_or_named_is_used(foreign_home):
    mine = foreign_home.parent / "mine"
    trusted = mlops("status", cwd=mine, env={TRUSTED_HOMES_ENV: f"/elsewhere:{foreign_home}"})
    assert trusted.returncode == 0, trusted.stderr
    assert f"home: {foreign_home}" in trusted.stdout.splitlines()
    anything = mlops("status", cwd=mine, env={TRUSTED_HOMES_ENV: "*"})
    assert anything.returncode == 0, anything.stderr
    named = mlops("--home", str(foreign_home), "status", cwd=mine)
    assert named.returncode == 0, named.stderr


@needs_chown
def test_the_server_root_default_home_is_checked_too(tmp_path, foreign_home):
    # `<root_dir>/.mlops` is found, not named: a root in /tmp must not take another's.
    with pytest.raises(InvalidInput, match="refusing the MLOps home") as caught:
        resolve(root_dir=foreign_home.parent, environ={})
    assert caught.value.field == "home"
    assert resolve(root_dir=foreign_home.parent, environ={HOME_ENV: str(foreign_home)})
    # Our own and root's folders are taken as they always were.
    os.chown(foreign_home, os.geteuid(), os.getegid())
    assert resolve(root_dir=foreign_home.parent, environ={}).home == foreign_home


@needs_chown
def test_the_kernel_refuses_a_foreign_home_with_a_usage_error(foreign_home, monkeypatch):
    monkeypatch.chdir(foreign_home.parent / "mine")  # a kernel started outside Lab
    tracking_default.cache_clear()
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_mlops")
    try:
        with pytest.raises(UsageError, match=r"%mlops status: refusing the MLOps home"):
            shell.run_line_magic("mlops", "status")
    finally:
        shell.run_line_magic("unload_ext", "jupyter_mlops")
        InteractiveShell.clear_instance()
        tracking_default.cache_clear()


def test_reading_verbs_create_no_home(tmp_path):
    assert find_home(tmp_path) is None, "a .mlops/ above the test's folder would be found"
    for verb in (["status"], ["status", "--json"], ["jobs", "list"], ["features", "list"]):
        result = mlops(*verb, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        said = result.stderr.strip().splitlines()
        assert said == [
            f"no MLOps home at {tmp_path.resolve() / '.mlops'}: nothing recorded here yet "
            "(submitting or running a job, tracking a run or deploying creates it)"
        ], verb
        assert result.stdout == ""
    for verb in (["deployments"], ["triggers", "x"], ["jobs", "logs", "x"]):
        assert mlops(*verb, cwd=tmp_path).returncode == 0
    assert list(tmp_path.iterdir()) == []


def test_a_named_home_is_not_created_by_reading_but_is_by_writing(tmp_path):
    home = tmp_path / "named"
    assert mlops("--home", str(home), "jobs", "list", cwd=tmp_path).returncode == 0
    assert not home.exists()
    notebook(tmp_path / "train.ipynb", "epochs = 2", "print(epochs)")
    queued = mlops("--home", str(home), "jobs", "submit", "train.ipynb", cwd=tmp_path)
    assert queued.returncode == 0, queued.stderr
    assert (home / "state.db").is_file()
    listed = mlops("--home", str(home), "jobs", "list", cwd=tmp_path)
    assert "queued" in listed.stdout and "train.ipynb" in listed.stdout


def test_the_magics_reading_verbs_create_no_home(tmp_path, monkeypatch, capsys):
    home = tmp_path / "nowhere"
    monkeypatch.setenv(HOME_ENV, str(home))
    tracking_default.cache_clear()
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_mlops")
    try:
        for verb in ("status", "jobs", "runs", "models", "deployments"):
            assert shell.run_line_magic("mlops", verb) is None
            assert capsys.readouterr().out.startswith(f"no MLOps home at {home.resolve()}:")
    finally:
        shell.run_line_magic("unload_ext", "jupyter_mlops")
        InteractiveShell.clear_instance()
        tracking_default.cache_clear()
    assert not home.exists()
