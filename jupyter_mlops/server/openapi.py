"""The OpenAPI 3.1 description of the REST API, assembled from the route table (paths,
verbs, summaries, query arguments, which schema each body follows) and the JSON Schemas
(request and response bodies, as components). Nothing here is written by hand twice:
a route or a schema changed is a description changed."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from urllib.parse import urljoin, urlparse

from .. import schemas
from ..version import __version__
from .operations import Operation, Query, path_parameters

OPENAPI_VERSION = "3.1.0"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
PATH_PARAMETERS = {
    "name": "The name of the feature view, service, model, deployment or scoring output",
    "run_id": "An MLflow run id",
    "experiment_id": "An MLflow experiment id",
    "execution_id": "A job execution id",
    "alias": "A model alias (champion, challenger, ...)",
    "version": "A model version number",
    "key": "A metric or tag key",
    "search_id": "A hyperparameter search id (s-...)",
}
# The error answers every route may give, each with the error body.
ERRORS = {
    "400": ("invalid_input", "The request (body, argument, path) is refused; see field"),
    "403": ("forbidden", "No credentials, or no permission on this area"),
    "404": ("not_found", "The named thing does not exist"),
    "409": ("conflict", "The thing is not in a state that allows this"),
    "500": ("internal_error", "A server error; its details are in the server log"),
}


def document(routes: Iterable[tuple], base_url: str = "/") -> dict:
    """The OpenAPI document of a route table (`routes.ROUTES`) served under `base_url`."""
    paths = {}
    for pattern, handler, described in routes:
        parameters = [_path_parameter(name) for name in path_parameters(pattern)]
        area = handler.auth_resource.partition(":")[2]
        paths[described["path"]] = {
            verb: _operation(verb, handler.__name__, area, parameters, op)
            for verb, op in described["operations"].items()
        }
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": DIALECT,
        "info": {
            "title": "jupyter_mlops",
            "version": __version__,
            "description": "The REST API of the jupyter_mlops server extension: features, "
            "experiment runs, models, deployments and notebook jobs. Every verb needs "
            "Jupyter server credentials and the permission of its area (the tag).",
        },
        "servers": [{"url": base_url.rstrip("/") or "/"}],
        "security": [{"token": []}],
        "paths": paths,
        "components": {
            "schemas": components(),
            "responses": {
                code: {"description": text, "content": _json("error")}
                for code, text in ERRORS.values()
            },
            "securitySchemes": {
                "token": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "token <the Jupyter server's token>",
                }
            },
        },
    }


def components() -> dict[str, dict]:
    """Every schema, request and response, keyed by its name, references rewritten to
    point at components (the names of the two kinds never collide)."""
    both = [(n, schemas.path_of(n), schemas.load(n)) for n in schemas.names()]
    both += [
        (n, schemas.path_of(n, response=True), schemas.load_response(n))
        for n in schemas.response_names()
    ]
    keys = {path.as_uri(): name for name, path, _ in both}
    if len(set(keys.values())) != len(keys):
        raise ValueError("a request and a response schema share a name")
    found = {}
    for name, path, loaded in both:
        schema = copy.deepcopy(loaded)
        schema.pop("$schema", None)  # the document's jsonSchemaDialect says it
        found[name] = _rewrite(schema, path.as_uri(), keys)
    return found


def _rewrite(node, base: str, keys: dict[str, str]):
    """References to files (relative to `base`) as references to components."""
    if isinstance(node, list):
        return [_rewrite(item, base, keys) for item in node]
    if not isinstance(node, dict):
        return node
    rewritten = {key: _rewrite(value, base, keys) for key, value in node.items()}
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = urlparse(urljoin(base, ref))
        whole = target._replace(fragment="").geturl()
        if whole not in keys:
            raise ValueError(f"{base}: $ref {ref!r} names no schema file")
        rewritten["$ref"] = f"#/components/schemas/{keys[whole]}{target.fragment}"
    return rewritten


def _operation(verb: str, handler: str, area: str, parameters: list, op: Operation) -> dict:
    described = {
        "operationId": f"{verb}_{_snake(handler.removesuffix('Handler'))}",
        "summary": op.summary,
        "tags": [area],
        "parameters": parameters + [_query(q) for q in op.query],
        "responses": {
            str(op.status): {"description": op.summary}
            if op.response is None
            else {"description": op.summary, "content": _json(op.response)},
            **{
                code: {"$ref": f"#/components/responses/{name}"}
                for code, name in _errors(verb, op, bool(parameters))
            },
        },
    }
    if op.request is not None:
        described["requestBody"] = {"required": True, "content": _json(op.request)}
    elif op.body is not None:
        described["requestBody"] = {
            "required": True,
            "description": op.body,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    if not described["parameters"]:
        del described["parameters"]
    return described


def _errors(verb: str, op: Operation, named: bool) -> list[tuple[str, str]]:
    """The error answers an operation may give: any can be refused (403) or fail (500);
    the others follow from what it takes and does."""
    codes = ["403", "500"]
    if op.request or op.body or op.query or named:
        codes.append("400")
    if named or op.request or op.body:  # it names things (a run, a model), which may not exist
        codes.append("404")
    if verb != "get" and (named or op.status == 201):  # it changes or creates something
        codes.append("409")
    return [(code, ERRORS[code][0]) for code in sorted(codes)]


def _path_parameter(name: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": PATH_PARAMETERS[name],
        "schema": {"type": "string"},
    }


def _query(query: Query) -> dict:
    return {
        "name": query.name,
        "in": "query",
        "description": query.description,
        "schema": query.schema,
    }


def _json(schema: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
