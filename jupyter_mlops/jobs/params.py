"""A notebook's parameters, read by papermill, and values checked against them.

Papermill reads the `parameters`-tagged cell (name, annotated type, default, help
comment) but injects whatever it is given, silently (papermill #667, #818). Jobs
check every value first: an unknown name, or a value the parameter's type cannot
take, is refused with the parameter named.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import papermill
from papermill.exceptions import PapermillException

from ..errors import InvalidInput

HOW_TO_TAG = (
    "tag the cell that sets the defaults with 'parameters': in JupyterLab select it, "
    "open the Property Inspector (gear icon, right sidebar) and add the tag under "
    "Common Tools > Cell Tags"
)
# Annotation names papermill reports, and the Python types they mean.
TYPES = {
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "list": list,
    "dict": dict,
}


def parameters(notebook: Path) -> dict[str, dict]:
    """{name: {name, type, default, help}}; `type` is None when nothing tells it."""
    try:
        found = papermill.inspect_notebook(str(notebook))
    except (PapermillException, ValueError, OSError) as err:
        raise InvalidInput(f"cannot read {notebook.name}: {err}", field="notebook") from None
    if not found:
        if not _has_parameters_cell(notebook):
            raise InvalidInput(
                f"{notebook.name} has no parameters cell; {HOW_TO_TAG}", field="notebook"
            )
    return {name: _describe(spec) for name, spec in found.items()}


def _has_parameters_cell(notebook: Path) -> bool:
    cells = json.loads(notebook.read_text()).get("cells", [])
    return any("parameters" in cell.get("metadata", {}).get("tags", []) for cell in cells)


def _describe(spec: dict) -> dict:
    default_text = spec["default"]
    try:
        default = ast.literal_eval(default_text)
    except (ValueError, SyntaxError):
        default = None  # an expression (e.g. `np.pi`): shown as text, type unknown
    annotated = spec["inferred_type_name"]
    if annotated in TYPES:
        kind = annotated
    elif default is not None and type(default).__name__ in TYPES:
        kind = type(default).__name__
    else:
        kind = None
    return {
        "name": spec["name"],
        "type": kind,
        "default": default if default is not None or default_text == "None" else default_text,
        "help": spec["help"],
    }


def check(declared: dict[str, dict], values: dict[str, object]) -> dict[str, object]:
    """Values converted to their parameters' types, or InvalidInput naming the first bad one."""
    checked = {}
    for name, value in values.items():
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise InvalidInput(
                f"unknown parameter {name!r}; the notebook's parameters are: {known}",
                field=f"parameters.{name}",
            )
        checked[name] = convert(value, declared[name]["type"], name)
    return checked


def convert(value: object, kind: str | None, name: str) -> object:
    """`value` as the type `kind`; a string (from a form's field) is parsed where the
    notebook declares another type. Undeclared, a value is taken as given: the CLI has
    resolved it as papermill does (`-p msg true` is the string "true") and JSON is typed."""
    if kind is None:
        return value
    target = TYPES[kind]
    if isinstance(value, str) and target is not str:
        value = _literal(value)
    if target is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, target) and not (target is int and isinstance(value, bool)):
        return value
    raise InvalidInput(
        f"parameter {name!r} must be of type {kind}, not {value!r}", field=f"parameters.{name}"
    )


def _literal(text: str) -> object:
    """'3' -> 3, 'true' -> True, '[1, 2]' -> [1, 2]; anything else stays a string."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        try:
            return json.loads(text)
        except ValueError:
            return text
