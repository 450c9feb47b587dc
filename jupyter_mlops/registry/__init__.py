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


def set_alias(name: str, alias: str, version: str | int) -> dict:
    return _registry().set_alias(name, alias, str(version))


def delete_alias(name: str, alias: str) -> None:
    _registry().delete_alias(name, alias)


__all__ = ["Registry", "delete_alias", "models", "register", "set_alias", "versions"]
