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
    from ..config import MLOpsConfig
    from ..registry.service import Registry

# Where serving processes listen. Loopback unless the agent's environment says
# otherwise: a model endpoint has no authentication of its own.
SERVING_HOST_ENV = "JUPYTER_MLOPS_SERVING_HOST"
DEFAULT_HOST = "127.0.0.1"

REFERENCE = "monitor.reference"
BASELINE_REFERENCE = "baseline"  # the deployment's own first hour of traffic
RUN_ARTIFACT = re.compile(r"runs:/(?P<run>[0-9a-f]{32})/(?P<path>[^\0]+)")

_MODEL_URI = re.compile(
    r"^models:/(?P<name>[\w.\- ]{1,200})"
    r"(?:@(?P<alias>[A-Za-z_][\w-]{0,254})|/(?P<version>[1-9]\d*))$"
)


def serving_host() -> str:
    return os.environ.get(SERVING_HOST_ENV) or DEFAULT_HOST


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
        "max_body_mb": spec.get("max_body_mb", 64),
        "startup_timeout": spec.get("startup_timeout", 120),
        "budget": spec.get("budget"),  # None: no automatic rollback
        "monitor": spec.get("monitor", {}),
        "log_predictions": spec.get("log_predictions", True),
        # Off by default: a standby doubles the deployment's memory (see supervisor.py).
        "standby": spec.get("standby", False),
        "resources": spec.get("resources", {}),
        "trigger": spec.get("trigger"),  # None: no retraining (see monitoring/triggers.py)
    }


def check_reference(config: MLOpsConfig, value: str | None) -> None:
    """A drift reference named at deployment, or set since, is one monitoring can read: a
    file inside the root (checked now, so a bad one is refused by the request that names
    it rather than by every later drift check), a run's artifact, or `baseline`."""
    if value is None or value == BASELINE_REFERENCE:
        return
    if value.startswith("runs:/"):
        if not RUN_ARTIFACT.fullmatch(value):
            raise InvalidInput(
                f"{value!r} is not runs:/<32-hex run id>/<artifact path>", field=REFERENCE
            )
        return
    if "://" in value:
        raise InvalidInput(
            f"{value!r}: a reference is a file in the server root, runs:/<run id>/<path> "
            "or baseline",
            field=REFERENCE,
        )
    config.under_root(value, REFERENCE)


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
