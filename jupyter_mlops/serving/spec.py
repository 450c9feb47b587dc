"""A deployment spec, validated and resolved before anything is written.

The JSON Schema (`schemas/deployment.json`) checks shape and ranges; then the model
URI must name a registered model and an alias or version it has, and the strategy
must be one the serving layer runs today. An alias is resolved here, once: restarts
serve the version that was deployed even if the alias has moved since.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from ..errors import InvalidInput

if TYPE_CHECKING:
    from ..registry.service import Registry

# Where serving processes listen. Loopback unless the agent's environment says
# otherwise: a model endpoint has no authentication of its own.
SERVING_HOST_ENV = "JUPYTER_MLOPS_SERVING_HOST"
DEFAULT_HOST = "127.0.0.1"

_MODEL_URI = re.compile(
    r"^models:/(?P<name>[\w.\- ]{1,200})"
    r"(?:@(?P<alias>[A-Za-z_][\w-]{0,254})|/(?P<version>[1-9]\d*))$"
)


def serving_host() -> str:
    return os.environ.get(SERVING_HOST_ENV) or DEFAULT_HOST


def add_arguments(deploy, wait_help: str) -> None:
    """The options of `deploy` for an argparse parser (the CLI's and the magic's), named as
    `request` takes them."""
    deploy.add_argument("model_uri", help="models:/<name>@<alias> or models:/<name>/<version>")
    deploy.add_argument("--name", "-n", required=True, help="deployment name")
    deploy.add_argument("--port", type=int, help="port (default: a free one)")
    deploy.add_argument("--request-timeout", type=float, help="seconds one request may take")
    deploy.add_argument("--startup-timeout", type=float, help="seconds to become ready")
    deploy.add_argument("--threads", type=int, help="predictions at once per serving process")
    deploy.add_argument("--gpus", metavar="IDS", help="GPU ids the serving processes see (0,1)")
    strategies = deploy.add_mutually_exclusive_group()
    strategies.add_argument(
        "--canary", type=float, metavar="PERCENT", help="a new version takes PERCENT of requests"
    )
    strategies.add_argument(
        "--shadow", action="store_true", help="a new version gets copies; its answers are dropped"
    )
    strategies.add_argument(
        "--blue-green", action="store_true", help="a new version takes all; the old stands by"
    )
    deploy.add_argument(
        "--max-error-rate",
        type=float,
        metavar="RATE",
        help="roll a new version back when more than RATE (0-1) of its requests fail",
    )
    deploy.add_argument(
        "--max-p99-ms", type=float, metavar="MS", help="roll a new version back above this p99"
    )
    deploy.add_argument(
        "--retrain-job",
        metavar="JOB",
        help="retrain with this job definition (name or id) or notebook on drift or falling "
        "performance, and roll the result out as a canary",
    )
    deploy.add_argument(
        "--retrain-on",
        metavar="WHAT",
        help="what fires the retraining: drift, performance, or drift,performance (default drift)",
    )
    deploy.add_argument(
        "--retrain-min-accuracy", type=float, metavar="ACC", help="retrain below this accuracy"
    )
    deploy.add_argument(
        "--retrain-max-mae", type=float, metavar="MAE", help="retrain above this mean abs. error"
    )
    deploy.add_argument("--wait", action="store_true", help=wait_help)


def add_decisions(verbs) -> None:
    """`promote` and `rollback`, for the CLI and the magic."""
    for verb, said in (
        ("promote", "the new version of a deployment serves every request"),
        ("rollback", "drop the new version of a deployment; the serving one takes all"),
    ):
        verbs.add_parser(verb, help=said).add_argument("name", help="deployment name")


def request(args) -> dict:
    """A deployment spec body from the options `add_arguments` declared, as parsed (the
    CLI's and `%mlops deploy`'s)."""
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
    body.update({key: value for key, value in optional.items() if value is not None})
    resources = {
        "threads": args.threads,
        "gpus": [g.strip() for g in args.gpus.split(",") if g.strip()] if args.gpus else None,
    }
    if any(value is not None for value in resources.values()):
        body["resources"] = {key: value for key, value in resources.items() if value is not None}
    budget = {"error_rate": args.max_error_rate, "p99_ms": args.max_p99_ms}
    if any(value is not None for value in budget.values()):
        body["budget"] = {key: value for key, value in budget.items() if value is not None}
    limits = {"min_accuracy": args.retrain_min_accuracy, "max_mae": args.retrain_max_mae}
    if args.retrain_job:
        body["trigger"] = {"job": args.retrain_job}
        if args.retrain_on:
            body["trigger"]["on"] = [w.strip() for w in args.retrain_on.split(",") if w.strip()]
        body["trigger"].update({k: v for k, v in limits.items() if v is not None})
    elif args.retrain_on or any(v is not None for v in limits.values()):
        raise InvalidInput("the --retrain-* options need --retrain-job", field="trigger.job")
    return body


def validate(body: dict) -> dict:
    """The spec with defaults filled; the model not yet looked up (see `resolve_model`)."""
    # Imported here: jsonschema takes a second to import, which `jupyter mlops predict`
    # and `deployments` do not need to pay.
    from .. import schemas

    spec = schemas.validate("deployment", body)
    parse_model_uri(spec["model_uri"])
    strategy = spec.get("strategy", {"type": "replace"})
    return {
        "name": spec["name"],
        "model_uri": spec["model_uri"],
        "strategy": strategy,
        "port": spec.get("port"),  # None: a free port is chosen at deploy time
        "request_timeout": spec.get("request_timeout", 30),
        "startup_timeout": spec.get("startup_timeout", 120),
        "budget": spec.get("budget"),  # None: no automatic rollback
        "monitor": spec.get("monitor", {}),
        "log_predictions": spec.get("log_predictions", True),
        "resources": spec.get("resources", {}),
        "trigger": spec.get("trigger"),  # None: no retraining (see monitoring/triggers.py)
    }


def check_gpus(resolved: dict, known: set[str]) -> None:
    """The GPUs asked for exist here (`known`: the ids of the GPU inventory)."""
    for gpu_id in resolved["resources"].get("gpus", []):
        if gpu_id not in known:
            have = ", ".join(sorted(known)) or "none"
            raise InvalidInput(
                f"no GPU {gpu_id!r} on this machine (GPUs: {have})", field="resources.gpus"
            )


def parse_model_uri(uri: str) -> dict:
    """{name, alias, version} of a `models:/` URI; one of alias and version is None."""
    match = _MODEL_URI.match(uri.strip())
    if match is None:
        raise InvalidInput(
            f"cannot deploy {uri!r}: give models:/<name>@<alias> or models:/<name>/<version>",
            field="model_uri",
        )
    return match.groupdict()


def resolve_model(registry: Registry, uri: str) -> tuple[str, str]:
    """(registered model name, version) the URI names now, checked to be deployable."""
    parsed = parse_model_uri(uri)
    name = parsed["name"]
    version = registry.version_of(
        name, alias=parsed["alias"], version=parsed["version"], field="model_uri"
    )
    # The serving process proves it is ready with a prediction on the input example.
    model, _ = registry.mlmodel(name, version)
    if model.saved_input_example_info is None:
        raise InvalidInput(
            f"version {version} of {name!r} has no input example, so its serving process "
            "could never prove it is ready; register a version logged with input_example=",
            field="model_uri",
        )
    return name, version
