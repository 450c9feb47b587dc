"""The API description: served, valid OpenAPI 3.1, in step with the route table and the
handlers, and honest about the schemas (the suite checks every answer against its
response schema: `validate_responses` in conftest's server config)."""

import json
import logging
import re

import pytest
import tornado.web
from jsonschema import Draft202012Validator
from jupyter_server.auth.decorator import authorized
from openapi_spec_validator import OpenAPIV31SpecValidator
from tornado.httpclient import HTTPClientError
from tornado.web import RequestHandler

import jupyter_mlops
from jupyter_mlops import schemas
from jupyter_mlops.server.base import MLOpsHandler
from jupyter_mlops.server.operations import Operation
from jupyter_mlops.server.routes import ROUTES

VERBS = ("get", "post", "put", "patch", "delete")


async def fetch_document(jp_fetch) -> dict:
    response = await jp_fetch("mlops", "api", "openapi.json")
    assert response.code == 200
    assert response.headers["Content-Type"] == "application/json"
    return json.loads(response.body)


def implemented(handler) -> set[str]:
    return {v for v in VERBS if getattr(handler, v) is not getattr(RequestHandler, v)}


def template(pattern: str) -> str:
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern)


def sample_path(path: str) -> list[str]:
    return re.sub(r"\{\w+\}", "sample", path).strip("/").split("/")


def resolve(document: dict, ref: str):
    node = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


async def test_the_served_document_is_valid_openapi_3_1(jp_fetch, jp_base_url):
    document = await fetch_document(jp_fetch)
    OpenAPIV31SpecValidator(document).validate()
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["version"] == jupyter_mlops.__version__
    assert document["servers"] == [{"url": jp_base_url.rstrip("/") or "/"}]
    for ref in refs(document):
        assert ref.startswith("#/"), ref
        resolve(document, ref)  # every reference leads somewhere


async def test_every_route_and_verb_and_nothing_else(jp_fetch):
    document = await fetch_document(jp_fetch)
    described = {(path, verb) for path, item in document["paths"].items() for verb in item}
    served = {
        (template(pattern), verb)
        for pattern, handler, *_ in ROUTES
        for verb in implemented(handler)
    }
    assert described == served
    for path, item in document["paths"].items():
        for verb, operation in item.items():
            named = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert named == set(re.findall(r"\{(\w+)\}", path)), (verb, path)


async def test_every_operation_answers_a_schema_and_the_error_body(jp_fetch):
    document = await fetch_document(jp_fetch)
    components = document["components"]["schemas"]
    assert set(components) == set(schemas.names()) | set(schemas.response_names())
    for path, item in document["paths"].items():
        for verb, operation in item.items():
            answers = operation["responses"]
            success = [code for code in answers if code.startswith("2")]
            assert len(success) == 1, (verb, path)
            if success != ["204"]:
                body = answers[success[0]]["content"]["application/json"]["schema"]
                assert body["$ref"].removeprefix("#/components/schemas/") in components
            for code in ("403", "500"):
                error = resolve(document, answers[code]["$ref"])
                schema = error["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/error"}


def test_every_schema_is_a_valid_json_schema():
    for name in schemas.names():
        Draft202012Validator.check_schema(schemas.load(name))
    for name in schemas.response_names():
        Draft202012Validator.check_schema(schemas.load_response(name))
        # Its references resolve (a wrong file or pointer raises here).
        assert schemas.response_problem(name, None) is not None or name == "predictions"


async def test_request_schemas_are_the_ones_the_handlers_validate(
    jp_fetch, jp_serverapp, monkeypatch
):
    """Each body-taking verb is called with an empty body: the schemas checked on the
    way (by the handler, or by its service) are the one the document names, or none."""
    document = await fetch_document(jp_fetch)
    checked: list[str] = []
    validate = schemas.validate

    def spy(name, body):
        checked.append(name)
        return validate(name, body)

    monkeypatch.setattr(schemas, "validate", spy)
    for path, item in document["paths"].items():
        for verb, operation in item.items():
            if verb == "get":
                continue
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref")
            named = [ref.removeprefix("#/components/schemas/")] if ref else []
            checked.clear()
            with pytest.raises(HTTPClientError) as caught:
                await jp_fetch(
                    *sample_path(path),
                    method=verb.upper(),
                    body="{}" if verb != "delete" else None,
                    allow_nonstandard_methods=True,
                )
            assert caught.value.code in (400, 404, 409), (verb, path, caught.value)
            assert checked == named, (verb, path)


async def test_an_error_answer_matches_the_error_schema(jp_fetch):
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("mlops", "api", "jobs", "executions", "no-such-execution")
    assert caught.value.code == 404
    body = json.loads(caught.value.response.body)
    assert schemas.response_problem("error", body) is None


def test_the_test_server_checks_every_answer(jp_serverapp):
    app = jp_serverapp.web_app.settings["jupyter_mlops"]
    assert app.validate_responses is True


class LyingHandler(MLOpsHandler):
    """Answers a status that breaks the status schema."""

    auth_resource = "jupyter_mlops:test"

    @tornado.web.authenticated
    @authorized
    async def get(self):
        self.reply({"version": jupyter_mlops.__version__, "agent": {"state": "asleep"}})


@pytest.fixture
def lying_route(jp_serverapp, jp_base_url):
    described = {"get": Operation("A status that lies", "status")}
    jp_serverapp.web_app.add_handlers(
        ".*$",
        [
            (
                f"{jp_base_url}mlops/api/test-lies",
                LyingHandler,
                {"name": "jupyter_mlops", "operations": described, "path": "/test-lies"},
            )
        ],
    )


async def test_an_answer_off_its_schema_is_a_500_naming_route_and_field(
    lying_route, jp_fetch, caplog
):
    with caplog.at_level(logging.ERROR), pytest.raises(HTTPClientError) as caught:
        await jp_fetch("mlops", "api", "test-lies")
    assert caught.value.code == 500
    assert json.loads(caught.value.response.body)["code"] == "internal_error"
    said = [r.getMessage() for r in caplog.records if "does not match" in r.getMessage()]
    assert said, caplog.text
    assert "GET /test-lies" in said[0] and "'status'" in said[0]
    assert "agent.state: 'asleep' is not one of" in said[0]
    assert said[0].endswith("and 5 more")  # the missing fields, counted
