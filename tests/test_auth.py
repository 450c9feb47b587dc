"""Every REST route refuses callers without credentials or without permission."""

import re
import warnings

import pytest
from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.serverapp import ServerApp
from jupyter_server.utils import JupyterServerAuthWarning
from tornado.httpclient import HTTPClientError
from tornado.web import RequestHandler

from jupyter_mlops.server.base import MLOpsHandler
from jupyter_mlops.server.routes import API_PREFIX, ROUTES

VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def route_calls():
    """(path, verb, handler) for every verb of every route, groups filled with a sample."""
    calls = []
    for pattern, handler, *_ in ROUTES:
        path = re.sub(r"\([^)]*\)", "sample", pattern).lstrip("/")
        for verb in VERBS:
            if getattr(handler, verb.lower()) is not getattr(RequestHandler, verb.lower()):
                calls.append((path, verb, handler))
    return calls


CALLS = route_calls()


def test_every_route_is_under_the_api_prefix_with_a_scoped_auth_resource():
    assert CALLS, "the route table is empty"
    for pattern, handler, *_ in ROUTES:
        assert pattern.startswith(API_PREFIX + "/")
        assert issubclass(handler, MLOpsHandler)
        assert re.fullmatch(r"jupyter_mlops:[a-z_]+", handler.auth_resource), handler


def call(jp_fetch, path, verb, **kwargs):
    body = "{}" if verb in ("POST", "PUT", "PATCH") else None
    return jp_fetch(
        *path.split("/"), method=verb, body=body, allow_nonstandard_methods=True, **kwargs
    )


@pytest.mark.parametrize("path, verb, handler", CALLS)
async def test_no_credentials_is_a_403(jp_fetch, path, verb, handler):
    with pytest.raises(HTTPClientError) as caught:
        await call(jp_fetch, path, verb, headers={"Authorization": ""})
    assert caught.value.code == 403


class DenyMLOps(Authorizer):
    """Lets the server work but refuses everything of this extension, noting what it asked."""

    asked: list = []

    def is_authorized(self, handler, user, action, resource):
        DenyMLOps.asked.append((action, resource))
        return not resource.startswith("jupyter_mlops")


class TestWithoutPermission:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        jp_server_config["ServerApp"]["authorizer_class"] = DenyMLOps
        return jp_server_config

    @pytest.mark.parametrize("path, verb, handler", CALLS)
    async def test_an_unauthorized_user_is_a_403(self, jp_fetch, path, verb, handler):
        DenyMLOps.asked.clear()
        with pytest.raises(HTTPClientError) as caught:
            await call(jp_fetch, path, verb)
        assert caught.value.code == 403
        assert any(resource == handler.auth_resource for _, resource in DenyMLOps.asked)


def test_server_starts_without_auth_warnings(tmp_path):
    """jupyter_server warns about any handler that lacks an auth decorator."""
    app = ServerApp(
        allow_unauthenticated_access=False,
        jpserver_extensions={"jupyter_mlops": True},
        reraise_server_extension_failures=True,
        root_dir=str(tmp_path),
        allow_root=True,
    )
    try:
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            app.initialize(argv=[], find_extensions=False, new_httpserver=False)
        problems = [
            str(r.message) for r in records if issubclass(r.category, JupyterServerAuthWarning)
        ]
        assert "jupyter_mlops" in app.extension_manager.extensions
        assert problems == []
    finally:
        ServerApp.clear_instance()
