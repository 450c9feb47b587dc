"""Argument parsing for `%mlops` and `%%track`, kept apart from the magics that act on it.

The option sets the CLI has too are declared once, in `jupyter_mlops.cli.options`, and
added here to this door's parser class, which raises UsageError instead of exiting."""

from __future__ import annotations

import argparse
import shlex

from IPython.core.error import UsageError

from ..cli import lineage, options, parameters

# Verbs whose last argument is a Python expression giving a pandas DataFrame.
EXPRESSION_VERBS = ("predict", "labels")
EXPRESSION_HELP = "a Python expression giving a pandas DataFrame: X, X.head(5), df[df.a > 0]"


class _HelpShown(Exception):
    """`--help` printed the help: the magic has nothing more to do."""


class _Parser(argparse.ArgumentParser):
    # argparse prints and exits on bad input; in a kernel that would kill the cell
    # with SystemExit, so the error becomes IPython's own usage error instead.
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}\n{self.format_usage()}")

    def exit(self, status=0, message=None):
        if status or message:
            raise UsageError(message or f"{self.prog}: exit status {status}")
        # `--help` printed the help (once, to stdout), then exits: the magic stops there.
        raise _HelpShown


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="%mlops", description="jupyter_mlops from a notebook cell.")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    verbs.required = True
    options.project.status(verbs, json_help="return the status as a dict")
    _tracking_verbs(verbs)
    _job_verbs(verbs)

    features = verbs.add_parser(
        "features",
        help="browse feature views; `snippet NAME` puts training-set code in the next cell",
        usage="%(prog)s [VIEW] [--query Q] | %(prog)s snippet NAME",
    )
    features.add_argument("view", nargs="?", help="open the browser on this view")
    features.add_argument("name", nargs="?", help=argparse.SUPPRESS)  # of `snippet NAME`
    options.project.feature_query(features)

    _deployment_verbs(verbs)
    _monitoring_verbs(verbs)
    lineage.add_parser(verbs)
    return parser


def _tracking_verbs(verbs) -> None:
    # The magic's own: the CLI has no runs or models verbs (CI reaches them via MLflow).
    run = verbs.add_parser("run", help="start or end a run that spans several cells")
    actions = run.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    start = actions.add_parser("start", help="start a run (nested if one is active)")
    _run_options(start)
    end = actions.add_parser("end", help="flush the run's metrics and end it")
    end.add_argument("--status", default="FINISHED", choices=["FINISHED", "FAILED", "KILLED"])

    runs = verbs.add_parser("runs", help="a table of runs, with Compare")
    runs.add_argument("--experiment", "-e", default="Default", help="experiment name")
    runs.add_argument("--filter", "-f", help='MLflow filter, e.g. "metrics.acc > 0.9"')
    runs.add_argument("--order-by", "-o", help='e.g. "metrics.acc DESC"')
    runs.add_argument("--max", type=int, default=100, help="runs to show (default 100)")

    register = verbs.add_parser("register", help="register a run's model as a new version")
    register.add_argument("source", help="run id, runs:/<run>/<model> or models:/m-<id>")
    register.add_argument("--name", "-n", required=True, help="registered model name")
    register.add_argument("--alias", "-a", help="alias for the new version (champion, ...)")

    models = verbs.add_parser("models", help="registered models, or one model's versions")
    models.add_argument("name", nargs="?", help="a model name: list its versions")

    alias = verbs.add_parser("alias", help="point an alias at a version, or remove it")
    alias.add_argument("name", help="registered model name")
    alias.add_argument("version", nargs="?", help="version number (omit with --delete)")
    alias.add_argument("alias", help="alias name")
    alias.add_argument("--delete", action="store_true", help="remove the alias")
    options.gates.forced_move(alias)

    options.gates.gate(verbs)


def _job_verbs(verbs) -> None:
    job = verbs.add_parser("job", help="submit a notebook job, follow or cancel one")
    actions = job.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    options.jobs.submit(actions)
    options.jobs.executions(actions, ("watch", "follow an execution's progress"))

    jobs = verbs.add_parser("jobs", help="recent job executions")
    options.jobs.execution_filter(jobs)

    options.scoring.score(verbs)
    options.tuning.tune(verbs)


def _deployment_verbs(verbs) -> None:
    options.deployments.deploy(verbs, wait_help="return once it serves (or failed)")
    options.deployments.decisions(verbs)
    verbs.add_parser("deployments", help="deployments with status and endpoint")
    predict = options.deployments.deployment_verb(
        verbs, "predict", "predictions of a deployment for a DataFrame"
    )
    predict.add_argument("expression", metavar="EXPR", help=EXPRESSION_HELP)
    options.deployments.undeploy(verbs, wait_help="return once they have stopped")


def _monitoring_verbs(verbs) -> None:
    options.monitoring.drift(verbs)
    options.monitoring.reference(verbs)
    options.monitoring.labels(verbs).add_argument(
        "expression",
        metavar="EXPR",
        help=f"{EXPRESSION_HELP}, with columns request_id, row (optional), label",
    )
    options.monitoring.triggers(verbs, json_help="return the trigger and its firings as a dict")


def build_track_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="%%track", description="Run the cell inside an MLflow run.")
    _run_options(parser)
    parser.add_argument(
        "--autolog", action="store_true", help="MLflow autologging for the libraries present"
    )
    parser.add_argument(
        "--log-input",
        metavar="EXPR",
        help="after the cell, log this DataFrame as the run's training input (the drift "
        "reference of the models registered from the run)",
    )
    return parser


def _run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--experiment", "-e", help="experiment name (created if new)")
    parser.add_argument("--name", "-n", help="run name")


def parse(line: str, parser: argparse.ArgumentParser | None = None) -> argparse.Namespace | None:
    """The magic's arguments, or None where `--help` printed the help."""
    argv = _with_expression(line) if parser is None else None
    if argv is None:
        try:
            argv = shlex.split(line)
        except ValueError as err:
            raise UsageError(f"%mlops: {err}") from None
    try:
        return (parser or build_parser()).parse_args(parameters.protect(argv))
    except _HelpShown:
        return None


def _with_expression(line: str) -> list[str] | None:
    """`predict NAME EXPR`: EXPR is the rest of the line as typed, spaces and quotes
    kept (`df[df.city == 'Lyon']`), not shell words. None for other lines, and where
    an option follows the verb (`predict --help`)."""
    parts = line.split(None, 2)
    if len(parts) < 3 or parts[0] not in EXPRESSION_VERBS:
        return None
    if parts[1].startswith("-") or parts[2].startswith("-"):
        return None
    return [parts[0], parts[1], parts[2].strip()]
