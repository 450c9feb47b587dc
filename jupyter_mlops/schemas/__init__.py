"""JSON Schemas of every REST body: requests here (validated by the server, served to the
frontend, which renders forms from them), responses in `responses/` (checked against real
answers by the test suite). Both are assembled into the API description and the
frontend's TypeScript types.

Schemas refer to each other by relative file references (`execution.json`,
`../deployment.json#/properties/budget`), resolved here against the files' own URIs, so
the same files work unchanged for jsonschema and for json-schema-to-typescript.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

from ..errors import InvalidInput, NotFound

HERE = Path(__file__).parent
RESPONSES = HERE / "responses"


def names() -> list[str]:
    return sorted(path.stem for path in HERE.glob("*.json"))


def response_names() -> list[str]:
    return sorted(path.stem for path in RESPONSES.glob("*.json"))


def path_of(name: str, *, response: bool = False) -> Path:
    return (RESPONSES if response else HERE) / f"{name}.json"


@cache
def load(name: str) -> dict:
    path = HERE / f"{name}.json"
    if name not in names():
        raise NotFound(f"no schema {name!r}")
    return json.loads(path.read_text())


@cache
def load_response(name: str) -> dict:
    if name not in response_names():
        raise NotFound(f"no response schema {name!r}")
    return json.loads(path_of(name, response=True).read_text())


@cache
def _validator(name: str) -> Draft202012Validator:
    load(name)  # NotFound for an unknown name
    # Through its file URI, so its references to other files resolve.
    return Draft202012Validator({"$ref": path_of(name).as_uri()}, registry=_registry())


def validate(name: str, body: object) -> dict:
    """Return `body` if it matches the schema, else an InvalidInput naming the field."""
    error = best_match(_validator(name).iter_errors(body))
    if error is None:
        return body  # type: ignore[return-value]
    field = _field_of(error)
    where = f"{field}: " if field else ""
    raise InvalidInput(f"{where}{error.message}", field=field)


@cache
def _registry() -> Registry:
    """Every schema, request and response, under its file URI: what references resolve to."""
    paths = [path_of(n) for n in names()] + [path_of(n, response=True) for n in response_names()]
    resources = [
        (path.as_uri(), Resource.from_contents(json.loads(path.read_text()))) for path in paths
    ]
    return Registry().with_resources(resources)


@cache
def _response_validator(name: str) -> Draft202012Validator:
    load_response(name)  # NotFound for an unknown name
    root = {"$ref": path_of(name, response=True).as_uri()}
    return Draft202012Validator(root, registry=_registry())


def response_problem(name: str, body: object) -> str | None:
    """Why `body` does not match the response schema `name` (each bad field with what is
    wrong with it, the deepest first), or None when it does."""
    errors = sorted(
        _response_validator(name).iter_errors(body),
        key=lambda e: (-len(e.path), [str(part) for part in e.path]),
    )
    if not errors:
        return None
    said = [f"{_field_of(error) or '(the body)'}: {error.message}" for error in errors]
    more = f"; and {len(said) - MAX_PROBLEMS} more" if len(said) > MAX_PROBLEMS else ""
    return "; ".join(said[:MAX_PROBLEMS]) + more


MAX_PROBLEMS = 5


def _field_of(error: ValidationError) -> str | None:
    """The dotted path of the field an error is about (a missing one included)."""
    field = ".".join(str(part) for part in error.absolute_path) or None
    if error.validator == "required":
        # jsonschema reports a missing property on its parent; name the property itself.
        missing = error.message.split("'")[1]
        field = f"{field}.{missing}" if field else missing
    elif error.validator == "additionalProperties" and field is None:
        field = error.message.split("'")[1]
    return field
