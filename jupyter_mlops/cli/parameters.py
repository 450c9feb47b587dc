"""Papermill's parameter options, exactly as `papermill` takes them, for every door that
runs a notebook job (`jupyter mlops run`, `jobs submit`, `%mlops job submit`):

    -p NAME VALUE   the value's type resolved as papermill does (True/False/None, int,
                    float, else the string: `-p msg true` is the string "true")
    -r NAME VALUE   the raw string
    -y YAML         a YAML mapping
    -f FILE         a YAML (or JSON) file of them, inside the project root
    -b BASE64       a base64-encoded YAML mapping

merged in papermill's order whatever the order on the line: every -b, then every -f,
every -y, every -p, and every -r last. A value may start with a dash (`-p lr -1e-3`),
which argparse alone would take for an option: `protect` shields such tokens before
parsing. The notebook's declared types are then checked by the jobs area, as for every
door.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
from collections.abc import Callable
from pathlib import Path

import yaml
from papermill.iorw import NoDatesSafeLoader

from ..errors import InvalidInput

# Options followed by NAME VALUE, whose tokens may start with a dash.
_PAIRS = frozenset({"-p", "--parameters", "--parameter", "-r", "--parameters_raw"})
# Put before such a token so argparse reads it as a value; no argv token can hold a NUL.
_SHIELD = "\0"


def add(parser: argparse.ArgumentParser) -> None:
    """The five options, papermill's short and long names."""
    pair = {"nargs": 2, "action": _Pairs, "default": [], "metavar": ("NAME", "VALUE")}
    parser.add_argument(
        "-p",
        "--parameters",
        "--parameter",
        dest="parameters",
        help="a parameter; the value's type as papermill resolves it (repeat for more)",
        **pair,
    )
    parser.add_argument(
        "-r", "--parameters_raw", dest="parameters_raw", help="a parameter as a string", **pair
    )
    many = {"action": "append", "default": []}
    parser.add_argument(
        "-y", "--parameters_yaml", metavar="YAML", help="parameters as a YAML mapping", **many
    )
    parser.add_argument(
        "-f",
        "--parameters_file",
        metavar="FILE",
        help="parameters from a YAML or JSON file in the project",
        **many,
    )
    parser.add_argument(
        "-b",
        "--parameters_base64",
        metavar="BASE64",
        help="parameters as a base64-encoded YAML mapping",
        **many,
    )


def protect(argv: list[str]) -> list[str]:
    """`argv` with the NAME and VALUE after -p/-r shielded when they start with a dash."""
    shielded = list(argv)
    for at, token in enumerate(argv):
        if token in _PAIRS:
            for value_at in (at + 1, at + 2):
                if value_at < len(argv) and argv[value_at].startswith("-"):
                    shielded[value_at] = _SHIELD + argv[value_at]
    return shielded


class _Pairs(argparse.Action):
    """Appends (NAME, VALUE), without the shield `protect` put on them."""

    def __call__(self, parser, namespace, values, option_string=None):
        pair = tuple(value.removeprefix(_SHIELD) for value in values)
        setattr(namespace, self.dest, [*getattr(namespace, self.dest), pair])


def resolve(args: argparse.Namespace, read_file: Callable[[str], Path]) -> dict:
    """The parameters the options name, merged in papermill's order. `read_file` turns a
    -f argument into a path the door allows (inside the project root), or raises."""
    merged: dict = {}
    for text in args.parameters_base64:
        try:
            decoded = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(f"-b: {text!r} is not base64", field="parameters_base64") from None
        merged.update(_mapping(decoded, "-b", "parameters_base64"))
    for name in args.parameters_file:
        path = read_file(name)
        try:
            text = path.read_bytes()
        except OSError:
            raise InvalidInput(f"-f: cannot read {name!r}", field="parameters_file") from None
        merged.update(_mapping(text, f"-f {name}", "parameters_file"))
    for text in args.parameters_yaml:
        merged.update(_mapping(text, "-y", "parameters_yaml"))
    for name, value in args.parameters:
        merged[name] = resolve_type(value)
    for name, value in args.parameters_raw:
        merged[name] = value
    return merged


def resolve_type(value: str) -> object:
    """papermill's `_resolve_type` (papermill/cli.py), kept here rather than imported: it
    is private, and importing papermill.cli reads stdin's mode. A test holds the two equal."""
    if value == "True":
        return True
    if value == "False":
        return False
    if value == "None":
        return None
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def _mapping(text: str | bytes, option: str, field: str) -> dict:
    """A YAML mapping of parameter names to values a job spec can hold (JSON's types)."""
    try:
        loaded = yaml.load(text, Loader=NoDatesSafeLoader)
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        raise InvalidInput(f"{option}: not valid YAML{at}", field=field) from None
    if loaded is None:  # an empty document: no parameters, as papermill reads it
        return {}
    if not isinstance(loaded, dict) or not all(isinstance(key, str) for key in loaded):
        raise InvalidInput(
            f"{option}: expected a mapping of parameter names to values, e.g. 'lr: 0.1'",
            field=field,
        )
    try:
        json.dumps(loaded, allow_nan=True)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"{option}: a value is not a number, string, boolean, null, list or mapping",
            field=field,
        ) from None
    return loaded
