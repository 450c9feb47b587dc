"""JSON Schemas of every REST request body: validated by the server, served to the
frontend (which renders forms from them) and assembled into the API description."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from ..errors import InvalidInput, NotFound

HERE = Path(__file__).parent


def names() -> list[str]:
    return sorted(path.stem for path in HERE.glob("*.json"))


@cache
def load(name: str) -> dict:
    path = HERE / f"{name}.json"
    if name not in names():
        raise NotFound(f"no schema {name!r}")
    return json.loads(path.read_text())


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load(name))


def validate(name: str, body: object) -> dict:
    """Return `body` if it matches the schema, else an InvalidInput naming the field."""
    error = best_match(_validator(name).iter_errors(body))
    if error is None:
        return body  # type: ignore[return-value]
    field = ".".join(str(part) for part in error.absolute_path) or None
    if error.validator == "required":
        # jsonschema reports a missing property on its parent; name the property itself.
        missing = error.message.split("'")[1]
        field = f"{field}.{missing}" if field else missing
    elif error.validator == "additionalProperties" and field is None:
        field = error.message.split("'")[1]
    where = f"{field}: " if field else ""
    raise InvalidInput(f"{where}{error.message}", field=field)
