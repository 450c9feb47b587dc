"""Registered models from Python: `from jupyter_mlops import registry`.

The same verbs as `%mlops register|models|alias`, the REST API and the panel, with
the same errors; bound to the project's stores (see `jupyter_mlops.tracking.default`).
"""

from __future__ import annotations

from .service import Registry


def _registry() -> Registry:
    from .. import tracking

    return Registry(tracking.default())


def register(source: str, name: str, alias: str | None = None) -> dict:
    """Register a run's model (run id, `runs:/<run>/<model>`, `models:/m-<id>`)."""
    return _registry().register(source, name, alias)


def models() -> list[dict]:
    return _registry().models()


def versions(name: str) -> list[dict]:
    return _registry().versions(name)


def set_alias(
    name: str, alias: str, version: str | int, *, force: bool = False, reason: str | None = None
) -> dict:
    """Point `alias` at `version`; a gated alias needs a passing verdict, or `force=True`
    with a `reason` (recorded on the version with the OS user)."""
    return _registry().set_alias(name, alias, str(version), force=force, reason=reason)


def get_gate(name: str) -> dict:
    """The model's gate (`{"name", "gate"}`; gate None without one)."""
    from .evaluation import Gates

    registry = _registry()
    return Gates(registry.tracking.config, registry).get(name)


def set_gate(name: str, spec: dict) -> dict:
    """Set the model's gate (checked first: see `gate.check_spec`)."""
    from .evaluation import Gates

    registry = _registry()
    return Gates(registry.tracking.config, registry).set(name, spec)


def evaluate(name: str, version: str | int) -> dict:
    """Evaluate `version` against its model's gate; the verdict."""
    from .evaluation import Gates

    registry = _registry()
    return Gates(registry.tracking.config, registry).evaluate(name, str(version))


def delete_alias(name: str, alias: str) -> None:
    _registry().delete_alias(name, alias)


__all__ = [
    "Registry",
    "delete_alias",
    "evaluate",
    "get_gate",
    "models",
    "register",
    "set_alias",
    "set_gate",
    "versions",
]
