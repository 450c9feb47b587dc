"""A job spec, validated and resolved before anything is written.

The JSON Schema (`schemas/job-spec.json`) checks shape and ranges; then the notebook
must lie inside the server root and have a parameters cell, the values must fit the
parameters' types, the cron expression and time zone must parse, and the GPUs asked
for must exist. Only then is a job stored.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

from .. import schemas
from ..config import MLOpsConfig
from ..errors import InvalidInput
from . import params

DEFAULT_EXPERIMENT = "jobs"


def request(
    notebook: str,
    parameters: list[tuple[str, str]] | dict = (),
    *,
    kernel: str | None = None,
    experiment: str | None = None,
    timeout: float | None = None,
    gpus: int = 0,
    cron: str | None = None,
    timezone: str = "UTC",
    max_attempts: int | None = None,
    backoff_seconds: float | None = None,
    requirements: list[str] | None = None,
) -> dict:
    """A job spec body from command-line style options (the CLI and `%mlops job`)."""
    body: dict = {"notebook": notebook, "parameters": dict(parameters)}
    optional = {"kernel": kernel, "experiment": experiment, "timeout": timeout}
    body.update({key: value for key, value in optional.items() if value is not None})
    retry = {"max_attempts": max_attempts, "backoff_seconds": backoff_seconds}
    if any(value is not None for value in retry.values()):
        body["retry"] = {key: value for key, value in retry.items() if value is not None}
    if gpus:
        body["resources"] = {"gpus": gpus}
    if requirements:
        body["requirements"] = list(requirements)
    if cron:
        body["schedule"] = {"cron": cron, "timezone": timezone}
    return body


def resolve_notebook(config: MLOpsConfig, notebook: str) -> Path:
    """The notebook's absolute path, refused unless it is an .ipynb under the root."""
    path = config.under_root(notebook, "notebook")
    if path.suffix != ".ipynb":
        raise InvalidInput(f"{notebook!r} is not a notebook (.ipynb)", field="notebook")
    if not path.is_file():
        raise InvalidInput(f"no notebook at {notebook!r}", field="notebook")
    return path


def validate(config: MLOpsConfig, body: dict, gpu_count: int | None = None) -> dict:
    """The spec with defaults filled, the notebook root-relative, parameters typed."""
    spec = schemas.validate("job-spec", body)
    if "search" in spec:  # the door hands a search to the tuning area, which strips it
        raise InvalidInput("a search is submitted as a search, not as one job", field="search")
    notebook = resolve_notebook(config, spec["notebook"])
    declared = params.parameters(notebook)
    resources = {"gpus": 0, **spec.get("resources", {})}
    if gpu_count is not None and resources["gpus"] > gpu_count:
        raise InvalidInput(
            f"the job asks for {resources['gpus']} GPUs; this machine has {gpu_count}",
            field="resources.gpus",
        )
    resolved = {
        "notebook": str(notebook.relative_to(config.root_dir)),
        "name": spec.get("name") or notebook.stem,
        "parameters": params.check(declared, spec.get("parameters", {})),
        "kernel": _check_kernel(spec.get("kernel") or kernel_of(notebook)),
        "experiment": spec.get("experiment") or DEFAULT_EXPERIMENT,
        "resources": resources,
        "timeout": spec.get("timeout", 3600),
        "cell_timeout": spec.get("cell_timeout"),
        "retry": {"max_attempts": 1, "backoff_seconds": 30, **spec.get("retry", {})},
        "tags": spec.get("tags", {}),
    }
    if spec.get("requirements"):  # absent otherwise: a job in the executor's environment
        resolved["requirements"] = spec["requirements"]
    if "schedule" in spec:
        if "sweep" in spec:
            raise InvalidInput(
                "a sweep cannot be scheduled; schedule a job per value", field="sweep"
            )
        resolved["schedule"] = _schedule(spec["schedule"])
    if "sweep" in spec:
        resolved["sweep"] = [
            params.check(declared, {**spec.get("parameters", {}), **combination})
            for combination in combinations(spec["sweep"])
        ]
    return resolved


MAX_SWEEP = 1_000


def combinations(sweep: dict) -> list[dict]:
    """Every combination of the grid, or a seeded random sample of them."""
    names = sorted(sweep["grid"])
    total = math.prod(len(sweep["grid"][name]) for name in names)
    wanted = sweep.get("samples")
    if total > MAX_SWEEP and not wanted:
        raise InvalidInput(
            f"the grid has {total} combinations; the limit is {MAX_SWEEP}: use samples",
            field="sweep.grid",
        )
    every = itertools.product(*(sweep["grid"][name] for name in names))
    if wanted and wanted < total:
        chosen = sorted(random.Random(sweep.get("seed")).sample(range(total), wanted))
        picked = [_nth(sweep["grid"], names, index) for index in chosen]
    else:
        picked = list(every)
    return [dict(zip(names, values, strict=True)) for values in picked]


def _nth(grid: dict, names: list[str], index: int) -> tuple:
    """The index-th combination of the grid, without listing the ones before it."""
    values = []
    for name in reversed(names):
        index, position = divmod(index, len(grid[name]))
        values.append(grid[name][position])
    return tuple(reversed(values))


def next_time(schedule: dict, after: float) -> float:
    """The first cron time strictly after `after` (epoch seconds), in the schedule's zone."""
    start = datetime.fromtimestamp(after, ZoneInfo(schedule["timezone"]))
    return croniter(schedule["cron"], start).get_next(datetime).timestamp()


def _schedule(schedule: dict) -> dict:
    timezone = schedule.get("timezone", "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {timezone!r}", field="schedule.timezone") from None
    if not croniter.is_valid(schedule["cron"]) or len(schedule["cron"].split()) != 5:
        raise InvalidInput(
            f"invalid cron expression {schedule['cron']!r} (5 fields: minute hour day month "
            "weekday)",
            field="schedule.cron",
        )
    try:
        next_time({"cron": schedule["cron"], "timezone": timezone}, time.time())
    except CroniterBadDateError:
        # Valid field by field, yet no date matches (e.g. 31 February): it would never fire.
        raise InvalidInput(
            f"cron expression {schedule['cron']!r} matches no date: it would never run",
            field="schedule.cron",
        ) from None
    return {
        "cron": schedule["cron"],
        "timezone": timezone,
        "catchup": schedule.get("catchup", "latest"),
    }


def kernel_of(notebook: Path) -> str:
    spec = json.loads(notebook.read_text()).get("metadata", {}).get("kernelspec", {})
    return spec.get("name") or "python3"


def _check_kernel(name: str) -> str:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        known = ", ".join(sorted(KernelSpecManager().find_kernel_specs()))
        raise InvalidInput(f"no kernel {name!r}; installed: {known}", field="kernel") from None
    return name
