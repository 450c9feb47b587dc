"""The extension configured through traitlets, as a team would (PostgreSQL state DB)."""

import json
import os

import pytest
from tornado.httpclient import HTTPClientError

UNREACHABLE_DB = "postgresql://mlops:s3cret@127.0.0.1:9/state"


@pytest.fixture
def jp_server_config(jp_server_config, tmp_path):
    jp_server_config["MLOpsApp"].update(home=str(tmp_path / "team-home"), state_url=UNREACHABLE_DB)
    return jp_server_config


async def test_configured_stores_are_used_and_exported(jp_serverapp, tmp_path):
    config = jp_serverapp.web_app.settings["jupyter_mlops"].services.config
    assert config.home == (tmp_path / "team-home").resolve()
    assert config.state_url == UNREACHABLE_DB
    assert os.environ["JUPYTER_MLOPS_HOME"] == str(config.home)
    assert os.environ["JUPYTER_MLOPS_STATE_URL"] == UNREACHABLE_DB


async def test_an_unreachable_state_db_is_a_clean_error_without_secrets(jp_fetch):
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("mlops", "api", "status")
    # Not the request's fault: 503, saying which store, with no credential in it.
    assert caught.value.code == 503
    body = caught.value.response.body.decode()
    answer = json.loads(body)
    assert answer["code"] == "store_unavailable"
    assert "postgresql database state on 127.0.0.1" in answer["message"]
    assert "Traceback" not in body
    assert "s3cret" not in body
