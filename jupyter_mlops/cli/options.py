"""The option sets the CLI and `%mlops` share, each declared once, and the request
builders that turn them into the bodies the services take.

Both doors call these: the CLI (`jupyter mlops`, whose parser prints and exits on bad
input) and the magic (`kernel/args.py`, whose parser raises IPython's UsageError). So
each function adds arguments to a parser, or verbs to a subparsers action, that it is
given, whatever its class; a verb's function returns the verb's parser, for what only one
door has (the CLI reads a file where the magic reads a DataFrame variable). Help that
speaks of what a door does with an option (`--json` prints, or returns a dict) is the
door's to say.

The same words given to either door build the same request body (`job_request`,
`deployment_request`), which the services then validate.
"""

from __future__ import annotations

import argparse

from ..config import MLOpsConfig
from ..errors import InvalidInput
from ..jobs.spec import request as job_spec_request
from . import parameters

# Jobs ---------------------------------------------------------------------------------


def job(parser: argparse.ArgumentParser, *, queued: bool) -> None:
    """A notebook job's options, named as `job_request` reads them. `queued`: for the
    agent's queue (`jobs submit`, `%mlops job submit`), which adds GPUs and a schedule;
    otherwise run here and now (`jupyter mlops run`), where they have no meaning."""
    parser.add_argument("notebook", help="notebook path, relative to the project root")
    parameters.add(parser)
    parser.add_argument("--kernel", help="kernel name (default: the notebook's)")
    parser.add_argument("--experiment", help="MLflow experiment (default: jobs)")
    parser.add_argument("--timeout", type=float, help="seconds the whole job may run")
    parser.add_argument(
        "--max-attempts", type=int, help="run a failed job again, up to N runs in all"
    )
    parser.add_argument(
        "--backoff", type=float, help="seconds before the first retry, doubled at each (30)"
    )
    if not queued:
        parser.set_defaults(gpus=0, cron=None, timezone="UTC", requirement=[])
        return
    parser.add_argument("--gpus", type=int, default=0, help="GPUs the job needs")
    parser.add_argument(
        "--requirement",
        action="append",
        default=[],
        metavar="REQ",
        help="a pip requirement installed for this job only (executor ray; repeat for more)",
    )
    parser.add_argument("--cron", help="run on this schedule (5-field cron) instead of now")
    parser.add_argument("--timezone", default="UTC", help="time zone of the cron schedule")


def submit(actions) -> argparse.ArgumentParser:
    """`submit NOTEBOOK ...` under a door's job verb (`jobs` in the CLI, `job` in the magic)."""
    parser = actions.add_parser("submit", help="queue a notebook for the agent")
    job(parser, queued=True)
    return parser


def job_request(args: argparse.Namespace, config: MLOpsConfig) -> dict:
    """The job spec body of the options `job` declared, as parsed; a parameters file is
    read from the project root of `config`."""
    return job_spec_request(
        args.notebook,
        parameters.resolve(args, lambda name: config.under_root(name, "parameters_file")),
        kernel=args.kernel,
        experiment=args.experiment,
        timeout=args.timeout,
        gpus=args.gpus,
        cron=args.cron,
        timezone=args.timezone,
        max_attempts=args.max_attempts,
        backoff_seconds=args.backoff,
        requirements=args.requirement,
    )


def executions(actions, *own: tuple[str, str]) -> None:
    """`cancel EXECUTION_ID`, and a door's own actions on one execution ((name, help))."""
    for action, said in (("cancel", "cancel a queued or running execution"), *own):
        actions.add_parser(action, help=said).add_argument("execution_id")


def execution_filter(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--status", help="only these statuses, e.g. running,queued")


# Project and features -------------------------------------------------------------------


def status(verbs, json_help: str) -> argparse.ArgumentParser:
    parser = verbs.add_parser("status", help="the stores this project uses and the agent state")
    parser.add_argument("--json", action="store_true", help=json_help)
    return parser


def feature_query(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--query", "-q", default="", help="only views mentioning this text")


# Deployments ----------------------------------------------------------------------------


def deployment_verb(verbs, verb: str, said: str) -> argparse.ArgumentParser:
    """A verb whose first argument names a deployment."""
    parser = verbs.add_parser(verb, help=said)
    parser.add_argument("name", help="deployment name")
    return parser


def deploy(verbs, wait_help: str) -> argparse.ArgumentParser:
    """`deploy MODEL_URI --name N ...`, named as `deployment_request` reads them."""
    parser = verbs.add_parser("deploy", help="serve a registered model version over HTTP")
    parser.add_argument("model_uri", help="models:/<name>@<alias> or models:/<name>/<version>")
    parser.add_argument("--name", "-n", required=True, help="deployment name")
    parser.add_argument("--port", type=int, help="port (default: a free one)")
    parser.add_argument("--request-timeout", type=float, help="seconds one request may take")
    parser.add_argument("--startup-timeout", type=float, help="seconds to become ready")
    parser.add_argument("--threads", type=int, help="predictions at once per serving process")
    parser.add_argument("--gpus", metavar="IDS", help="GPU ids the serving processes see (0,1)")
    strategies = parser.add_mutually_exclusive_group()
    strategies.add_argument(
        "--canary", type=float, metavar="PERCENT", help="a new version takes PERCENT of requests"
    )
    strategies.add_argument(
        "--shadow", action="store_true", help="a new version gets copies; its answers are dropped"
    )
    strategies.add_argument(
        "--blue-green", action="store_true", help="a new version takes all; the old stands by"
    )
    parser.add_argument(
        "--max-error-rate",
        type=float,
        metavar="RATE",
        help="roll a new version back when more than RATE (0-1) of its requests fail",
    )
    parser.add_argument(
        "--max-p99-ms", type=float, metavar="MS", help="roll a new version back above this p99"
    )
    parser.add_argument(
        "--retrain-job",
        metavar="JOB",
        help="retrain with this job definition (name or id) or notebook on drift or falling "
        "performance, and roll the result out as a canary",
    )
    parser.add_argument(
        "--retrain-on",
        metavar="WHAT",
        help="what fires the retraining: drift, performance, or drift,performance (default drift)",
    )
    parser.add_argument(
        "--retrain-min-accuracy", type=float, metavar="ACC", help="retrain below this accuracy"
    )
    parser.add_argument(
        "--retrain-max-mae", type=float, metavar="MAE", help="retrain above this mean abs. error"
    )
    parser.add_argument(
        "--reference",
        metavar="REF",
        help=f"what its traffic is compared with for drift: {REFERENCE_FORMS} (default: the "
        "training data its version's run logged)",
    )
    parser.add_argument("--wait", action="store_true", help=wait_help)
    return parser


def deployment_request(args: argparse.Namespace) -> dict:
    """The deployment spec body of the options `deploy` declared, as parsed."""
    body: dict = {"name": args.name, "model_uri": args.model_uri}
    if args.canary is not None:
        body["strategy"] = {"type": "canary", "percent": args.canary}
    elif args.shadow:
        body["strategy"] = {"type": "shadow"}
    elif args.blue_green:
        body["strategy"] = {"type": "blue_green"}
    optional = {
        "port": args.port,
        "request_timeout": args.request_timeout,
        "startup_timeout": args.startup_timeout,
    }
    body.update(_given(optional))
    resources = _given({"threads": args.threads, "gpus": _split(args.gpus)})
    if resources:
        body["resources"] = resources
    if args.reference is not None:
        body["monitor"] = {"reference": args.reference}
    budget = _given({"error_rate": args.max_error_rate, "p99_ms": args.max_p99_ms})
    if budget:
        body["budget"] = budget
    limits = _given({"min_accuracy": args.retrain_min_accuracy, "max_mae": args.retrain_max_mae})
    if args.retrain_job:
        body["trigger"] = {"job": args.retrain_job}
        if args.retrain_on:
            body["trigger"]["on"] = _split(args.retrain_on)
        body["trigger"].update(limits)
    elif args.retrain_on or limits:
        raise InvalidInput("the --retrain-* options need --retrain-job", field="trigger.job")
    return body


def decisions(verbs) -> None:
    """`promote NAME` and `rollback NAME`: what to do with a deployment's new version."""
    deployment_verb(verbs, "promote", "the new version of a deployment serves every request")
    deployment_verb(
        verbs, "rollback", "drop the new version of a deployment; the serving one takes all"
    )


def undeploy(verbs, wait_help: str) -> argparse.ArgumentParser:
    parser = deployment_verb(verbs, "undeploy", "stop a deployment's serving processes")
    parser.add_argument("--wait", action="store_true", help=wait_help)
    return parser


# Monitoring -----------------------------------------------------------------------------

REFERENCE_FORMS = (
    "a parquet or CSV file in the project, runs:/<run id>/<path>, or baseline (its own first "
    "hour of traffic)"
)


def window(parser: argparse.ArgumentParser) -> None:
    """Which of a deployment's logged requests a report reads."""
    parser.add_argument("--window", type=int, default=3600, help="seconds back (default 3600)")
    parser.add_argument("--version", help="model version (default: the serving one)")


def drift(verbs) -> argparse.ArgumentParser:
    parser = deployment_verb(verbs, "drift", "drift of a deployment's inputs and predictions")
    window(parser)
    return parser


def reference(verbs) -> argparse.ArgumentParser:
    """`reference NAME [REF | --reset]`: show or set what drift compares traffic with."""
    parser = deployment_verb(
        verbs, "reference", "show or set what a deployment's traffic is compared with for drift"
    )
    parser.add_argument("reference", nargs="?", metavar="REF", help=REFERENCE_FORMS)
    parser.add_argument(
        "--reset",
        action="store_true",
        help="back to the default: the training data its version's run logged",
    )
    return parser


def reference_value(args: argparse.Namespace) -> tuple[bool, str | None]:
    """(whether to set, the value: None to reset) of the options `reference` declared."""
    if args.reset and args.reference:
        raise InvalidInput("give a reference or --reset, not both", field="reference")
    return bool(args.reset or args.reference), args.reference


def labels(verbs) -> argparse.ArgumentParser:
    """`labels NAME ...`; each door adds where the labels come from."""
    return deployment_verb(verbs, "labels", "post ground-truth labels of a deployment")


def triggers(verbs, json_help: str) -> argparse.ArgumentParser:
    parser = deployment_verb(verbs, "triggers", "a deployment's retraining trigger firings")
    parser.add_argument("--json", action="store_true", help=json_help)
    return parser


def _given(values: dict) -> dict:
    return {key: value for key, value in values.items() if value is not None}


def _split(text: str | None) -> list[str] | None:
    """`0, 1` -> ["0", "1"]; None when the option was not given."""
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


# Batch scoring ----------------------------------------------------------------------------


def score(verbs) -> argparse.ArgumentParser:
    """`score MODEL INPUT --output NAME` or `score MODEL --feature-service NAME --entities
    PATH --output NAME`: a scoring job (queued, or scheduled)."""
    parser = verbs.add_parser("score", help="score a dataset with a model, as a job")
    parser.add_argument("model", help="models:/NAME@ALIAS, models:/NAME/VERSION, ...")
    parser.add_argument(
        "input", nargs="?", help="parquet or CSV file (or folder of parts) in the project"
    )
    parser.add_argument(
        "--feature-service", help="instead of INPUT: join the entity rows to this service"
    )
    parser.add_argument("--entities", help="with --feature-service: entity rows file (CSV/parquet)")
    parser.add_argument(
        "--timestamp-field", help="with --feature-service: the entities' time column"
    )
    parser.add_argument("--output", "-o", required=True, help="output name (batch/NAME/N/)")
    parser.add_argument("--batch-rows", type=int, help="rows scored at a time (100000)")
    parser.add_argument("--keys", help="input columns kept beside the predictions, a,b,c")
    parser.add_argument("--experiment", help="MLflow experiment (default: scoring)")
    parser.add_argument("--timeout", type=float, help="seconds the job may run")
    parser.add_argument("--max-attempts", type=int, help="run a failed job again, up to N")
    parser.add_argument("--backoff", type=float, help="seconds before the first retry (30)")
    parser.add_argument("--cron", help="score on this schedule (5-field cron) instead of now")
    parser.add_argument("--timezone", default="UTC", help="time zone of the cron schedule")
    return parser


def score_request(args: argparse.Namespace) -> dict:
    """The scoring request body of the options `score` declared, as parsed."""
    body: dict = {"model": args.model, "input": _score_input(args), "output": args.output}
    optional = {
        "batch_rows": args.batch_rows,
        "experiment": args.experiment,
        "timeout": args.timeout,
    }
    body.update({key: value for key, value in optional.items() if value is not None})
    if args.keys:
        body["keys"] = [key.strip() for key in args.keys.split(",") if key.strip()]
    retry = {"max_attempts": args.max_attempts, "backoff_seconds": args.backoff}
    if any(value is not None for value in retry.values()):
        body["retry"] = {key: value for key, value in retry.items() if value is not None}
    if args.cron:
        body["schedule"] = {"cron": args.cron, "timezone": args.timezone}
    return body


def _score_input(args: argparse.Namespace) -> str | dict:
    """INPUT, or the feature service and entity file the options name (the request's
    `input` either way: the service checks what they name)."""
    joined = _given(
        {
            "feature_service": args.feature_service,
            "entities": args.entities,
            "timestamp_field": args.timestamp_field,
        }
    )
    if joined and args.input:
        raise InvalidInput("INPUT or --feature-service with --entities, not both", field="input")
    if joined:
        return joined
    if not args.input:
        raise InvalidInput("name INPUT, or --feature-service and --entities", field="input")
    return args.input


# Hyperparameter searches ----------------------------------------------------------------


def tune(verbs) -> argparse.ArgumentParser:
    """`tune NOTEBOOK --space ... --metric M`: an Optuna search, each trial one job."""
    parser = verbs.add_parser("tune", help="search hyperparameters: each trial one job run")
    job(parser, queued=True)
    parser.add_argument(
        "--space",
        required=True,
        help='per parameter a range or choices, JSON or YAML: \'{"lr": {"low": 1e-4, '
        '"high": 0.1, "log": true}, "depth": {"choices": [2, 4, 8]}}\'',
    )
    parser.add_argument("--metric", required=True, help="the MLflow metric the notebook logs")
    parser.add_argument("--direction", choices=["minimize", "maximize"], default="minimize")
    parser.add_argument("--sampler", choices=["tpe", "random", "grid", "cmaes"], default="tpe")
    parser.add_argument("--pruner", choices=["median", "hyperband", "none"], default="none")
    parser.add_argument("--trials", type=int, default=20, help="trials in all (20)")
    parser.add_argument("--parallel", type=int, default=1, help="trials at once (1)")
    parser.add_argument("--seed", type=int, help="the sampler's seed")
    parser.add_argument(
        "--search-timeout", type=float, help="seconds after which no new trial starts"
    )
    return parser


def tune_request(args: argparse.Namespace, config: MLOpsConfig) -> dict:
    """The search body (a job spec with `search`) of the options `tune` declared."""
    import yaml

    try:
        space = yaml.safe_load(args.space)
    except yaml.YAMLError:
        raise InvalidInput("--space is neither JSON nor YAML", field="search.space") from None
    search = {
        "metric": args.metric,
        "direction": args.direction,
        "sampler": args.sampler,
        "pruner": args.pruner,
        "space": space,
        "trials": args.trials,
        "parallel": args.parallel,
    }
    if args.seed is not None:
        search["seed"] = args.seed
    if args.search_timeout is not None:
        search["timeout"] = args.search_timeout
    return {**job_request(args, config), "search": search}


# Model gates ----------------------------------------------------------------------------

GATE_METRIC_FORM = "NAME:BOUND=VALUE[,BOUND=VALUE] (bounds: min, max, not_worse_than_champion_by)"


def gate(verbs) -> argparse.ArgumentParser:
    """`gate NAME [set options] [--evaluate VERSION]`: show, set or evaluate a gate."""
    parser = verbs.add_parser(
        "gate",
        help="show or set a registered model's gate, or evaluate a version against it",
    )
    parser.add_argument("name", help="registered model name")
    parser.add_argument("--dataset", help="holdout parquet or CSV file inside the project root")
    parser.add_argument("--feature-service", help="build the holdout from this feature service")
    parser.add_argument("--entities", help="with --feature-service: entity rows file (CSV/parquet)")
    parser.add_argument("--label", help="the holdout's target column")
    parser.add_argument("--alias", help="the alias the gate guards (default champion)")
    parser.add_argument("--model-type", choices=("classifier", "regressor"))
    parser.add_argument(
        "--metric",
        action="append",
        default=[],
        metavar="SPEC",
        help=f"a metric and its bounds, {GATE_METRIC_FORM}; repeat for more, e.g. "
        "roc_auc:min=0.8,not_worse_than_champion_by=0.01 latency_p99_ms:max=50",
    )
    parser.add_argument("--latency-rows", type=int, help="rows timed one at a time (200)")
    parser.add_argument("--spec", metavar="JSON", help="the whole gate as JSON")
    parser.add_argument("--file", metavar="PATH", help="the whole gate from a YAML or JSON file")
    parser.add_argument(
        "--evaluate", metavar="VERSION", help="evaluate this version against the gate"
    )
    return parser


def gate_request(args: argparse.Namespace, config: MLOpsConfig) -> dict | None:
    """The gate the options `gate` declared describe; None when they set nothing."""
    import json

    pieces = {
        "dataset": args.dataset,
        "label": args.label,
        "alias": args.alias,
        "model_type": args.model_type,
        "latency_rows": args.latency_rows,
    }
    given = _given(pieces)
    if args.feature_service or args.entities:
        if args.dataset:
            raise InvalidInput("--dataset or --feature-service, not both", field="dataset")
        given["dataset"] = _given(
            {"feature_service": args.feature_service, "entities": args.entities}
        )
    spec: dict = {}
    if args.spec or args.file:
        if args.spec and args.file:
            raise InvalidInput("--spec or --file, not both", field="spec")
        if args.file:
            import yaml

            path = config.under_root(args.file, "file")
            try:
                spec = yaml.safe_load(path.read_text())
            except (OSError, yaml.YAMLError) as err:
                raise InvalidInput(f"cannot read {args.file}: {err}", field="file") from err
        else:
            try:
                spec = json.loads(args.spec)
            except ValueError as err:
                raise InvalidInput(f"--spec is not JSON: {err}", field="spec") from err
        if not isinstance(spec, dict):
            raise InvalidInput("the gate must be an object", field="spec")
    if args.metric:
        spec["metrics"] = {**(spec.get("metrics") or {}), **_gate_metrics(args.metric)}
    spec.update(given)
    return spec or None


def _gate_metrics(texts: list[str]) -> dict:
    metrics: dict = {}
    for text in texts:
        name, _, bounds = text.partition(":")
        if not name.strip() or not bounds.strip():
            raise InvalidInput(f"--metric {text!r}: use {GATE_METRIC_FORM}", field="metrics")
        found = metrics.setdefault(name.strip(), {})
        for bound in bounds.split(","):
            key, equals, value = bound.partition("=")
            try:
                found[key.strip()] = float(value)
            except ValueError:
                equals = ""
            if not equals:
                raise InvalidInput(
                    f"--metric {text!r}: {bound!r} is not BOUND=NUMBER",
                    field=f"metrics.{name.strip()}",
                )
    return metrics


def gate_lines(found: dict) -> list[str]:
    """A verdict, one line per metric, as both doors print it."""
    lines = [
        f"{found['name']} version {found['version']}: {found['verdict'].upper()} "
        f"(against {found['alias']} = "
        f"{'version ' + found['champion'] if found['champion'] else 'none'}; "
        f"{found['rows']} rows; run {found['run_id']})"
    ]
    for metric in found["metrics"]:
        champion = metric["champion"]
        lines.append(
            f"  {'pass' if metric['passed'] else 'FAIL'}  {metric['metric']}: "
            f"{_figure(metric['candidate'])}"
            + (f" (champion {_figure(champion)})" if champion is not None else "")
            + (f": {metric['reason']}" if not metric["passed"] else "")
        )
    return lines


def _figure(value) -> str:
    return "-" if value is None else f"{value:.4g}"


def forced_move(parser: argparse.ArgumentParser) -> None:
    """`--force --reason TEXT`: move a gated alias past its gate (recorded)."""
    parser.add_argument(
        "--force",
        action="store_true",
        help="move a gated alias to a version that failed or was not evaluated",
    )
    parser.add_argument("--reason", help="why (required with --force; recorded on the version)")
