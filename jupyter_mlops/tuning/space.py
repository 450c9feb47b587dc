"""A search's space, checked against the notebook's parameters before anything is
stored, and turned into Optuna's distributions."""

from __future__ import annotations

import math

from .. import schemas
from ..errors import InvalidInput
from ..jobs import params


def validate(search: dict, declared: dict[str, dict]) -> dict:
    """The search with defaults filled, or InvalidInput naming the field (`search.space.lr.low`)."""
    try:
        search = schemas.validate("search", search)
    except InvalidInput as err:  # its fields, inside the job spec's `search`
        field = f"search.{err.field}" if err.field else "search"
        message = err.message.removeprefix(f"{err.field}: ") if err.field else err.message
        raise InvalidInput(f"{field}: {message}", field=field) from None
    for name, dimension in search["space"].items():
        field = f"search.space.{name}"
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise InvalidInput(
                f"unknown parameter {name!r}; the notebook's parameters are: {known}", field=field
            )
        kind = declared[name]["type"]
        if "choices" in dimension:
            if set(dimension) != {"choices"}:
                raise InvalidInput("choices or a range (low, high), not both", field=field)
            for index, choice in enumerate(dimension["choices"]):
                # The parameter's type, as a value given to the job would be checked.
                try:
                    params.convert(choice, kind, name)
                except InvalidInput as err:
                    raise InvalidInput(err.message, field=f"{field}.choices.{index}") from None
                if not isinstance(choice, str | int | float | bool) and choice is not None:
                    raise InvalidInput(
                        "a choice is a number, string, boolean or null",
                        field=f"{field}.choices.{index}",
                    )
            continue
        _check_range(dimension, kind, field)
    if search.get("sampler", "tpe") == "grid":
        ranged = [n for n, d in search["space"].items() if "choices" not in d]
        if ranged:
            raise InvalidInput(
                f"the grid sampler takes choices only; {ranged[0]!r} is a range",
                field=f"search.space.{ranged[0]}",
            )
    return {
        "direction": "minimize",
        "sampler": "tpe",
        "pruner": "none",
        "trials": 20,
        "parallel": 1,
        **search,
    }


def _check_range(dimension: dict, kind: str | None, field: str) -> None:
    for bound in ("low", "high"):
        if bound not in dimension:
            raise InvalidInput(f"a range needs {bound} (or give choices)", field=field)
        value = dimension[bound]
        if not math.isfinite(value):
            raise InvalidInput(f"{bound} must be a finite number", field=f"{field}.{bound}")
    low, high = dimension["low"], dimension["high"]
    if kind not in ("int", "float"):
        raise InvalidInput(
            f"a range needs an int or float parameter; this one is {kind or 'of no known type'}: "
            "give choices",
            field=field,
        )
    if low > high:
        raise InvalidInput(f"low ({low}) is above high ({high})", field=f"{field}.low")
    if dimension.get("log") and low <= 0:
        raise InvalidInput("a log range needs low > 0", field=f"{field}.low")
    if dimension.get("log") and "step" in dimension:
        raise InvalidInput("a log range takes no step", field=f"{field}.step")
    if kind == "int":
        for key in ("low", "high", "step"):
            if key in dimension and float(dimension[key]) != int(dimension[key]):
                raise InvalidInput(
                    f"{key} of an int parameter must be whole", field=f"{field}.{key}"
                )


def distributions(space: dict, declared: dict[str, dict]) -> dict:
    """Optuna's distribution per parameter."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    made = {}
    for name, dimension in space.items():
        if "choices" in dimension:
            made[name] = CategoricalDistribution(dimension["choices"])
        elif declared[name]["type"] == "int":
            made[name] = IntDistribution(
                int(dimension["low"]),
                int(dimension["high"]),
                log=dimension.get("log", False),
                step=int(dimension.get("step", 1)),
            )
        else:
            made[name] = FloatDistribution(
                float(dimension["low"]),
                float(dimension["high"]),
                log=dimension.get("log", False),
                step=dimension.get("step"),
            )
    return made
