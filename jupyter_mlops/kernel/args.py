"""Argument parsing for `%mlops`, kept apart from the magics that act on it."""

from __future__ import annotations

import argparse
import shlex

from IPython.core.error import UsageError


class _Parser(argparse.ArgumentParser):
    # argparse prints and exits on bad input; in a kernel that would kill the cell
    # with SystemExit, so the error becomes IPython's own usage error instead.
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}\n{self.format_usage()}")

    def exit(self, status=0, message=None):
        raise UsageError(message or self.format_help())


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="%mlops", description="jupyter_mlops from a notebook cell.")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    verbs.required = True
    status = verbs.add_parser("status", help="the stores this project uses and the agent state")
    status.add_argument("--json", action="store_true", help="return the status as a dict")
    return parser


def parse(line: str) -> argparse.Namespace:
    try:
        argv = shlex.split(line)
    except ValueError as err:
        raise UsageError(f"%mlops: {err}") from None
    return build_parser().parse_args(argv)
