"""The change tokens the panels poll: a write by another process (a notebook, a job, the
CLI) changes the token of the list it touched, and only that one."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_mlops.config import resolve
from jupyter_mlops.services import Services


@pytest.fixture
def services(tmp_path):
    services = Services(resolve(root_dir=tmp_path, environ={}))
    yield services
    services.close()


def in_another_process(services, code: str) -> None:
    """`code` run by a separate Python on the same stores, as a kernel or a job would."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={
            "JUPYTER_MLOPS_HOME": str(services.config.home),
            "JUPYTER_MLOPS_ROOT_DIR": str(services.config.root_dir),
            "PATH": str(Path(sys.executable).parent),
        },
        capture_output=True,
        text=True,
        timeout=120,
        cwd=services.config.root_dir,
    )
    assert done.returncode == 0, done.stderr


def test_a_new_experiment_changes_its_token_only(services):
    before = services.changes.tokens()
    in_another_process(
        services,
        "from jupyter_mlops.tracking import default\ndefault().experiment_id('made-elsewhere')\n",
    )
    after = services.changes.tokens()
    assert after["experiments"] != before["experiments"]
    assert after["features"] == before["features"]
    assert services.changes.tokens() == after  # stable while nothing changes


def test_applying_a_view_and_ingesting_change_the_features_token(services):
    before = services.changes.tokens()
    in_another_process(
        services,
        "from datetime import timedelta\n"
        "import pandas as pd\n"
        "from jupyter_mlops import features\n"
        "e = features.Entity('driver', join_keys=['driver_id'])\n"
        "v = features.FeatureView('stats', entities=[e], "
        "schema=[features.Field('rate', features.Float64)], ttl=timedelta(days=1))\n"
        "features.apply([e, v])\n",
    )
    applied = services.changes.tokens()
    assert applied["features"] != before["features"]
    assert applied["experiments"] == before["experiments"]
    import pandas as pd

    services.features.ingest(
        "stats",
        pd.DataFrame(
            {"driver_id": [1], "event_timestamp": [pd.Timestamp("2026-01-01")], "rate": [0.5]}
        ),
    )
    assert services.changes.tokens()["features"] != applied["features"]


async def test_rest_changes(jp_fetch):
    answer = await jp_fetch("mlops", "api", "changes")
    tokens = json.loads(answer.body)
    assert set(tokens) == {"experiments", "features"}
