"""Executors, chosen by name: the built-in ones, and any a package registers under the
entry-point group `jupyter_mlops.executors` (as papermill registers engines):

    [project.entry-points."jupyter_mlops.executors"]
    mine = "my_package.executor:MyExecutor"

A server may also name a class outright (`c.MLOpsApp.executor_class`). An unknown name
is refused when the configuration is read, with the names available.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points

from ...errors import InvalidInput
from .base import Executor, ExecutorFeatures, Handle

GROUP = "jupyter_mlops.executors"
BUILTIN = {
    "local": "jupyter_mlops.jobs.executors.local:LocalExecutor",
    "ray": "jupyter_mlops.jobs.executors.ray:RayExecutor",  # needs the extra `ray`
}


def names() -> list[str]:
    """Every executor this installation can use."""
    return sorted({*BUILTIN, *(entry.name for entry in entry_points(group=GROUP))})


def load(name: str) -> type[Executor]:
    """The executor class registered as `name`."""
    if name in BUILTIN:
        module, _, attribute = BUILTIN[name].partition(":")
        try:
            return getattr(import_module(module), attribute)
        except ImportError as err:  # an extra not installed: the message says which
            raise InvalidInput(str(err), field="executor") from None
    found = entry_points(group=GROUP, name=name)
    if not found:
        raise InvalidInput(
            f"unknown executor {name!r}; available: {', '.join(names())}", field="executor"
        )
    executor = next(iter(found)).load()
    if not (isinstance(executor, type) and issubclass(executor, Executor)):
        raise InvalidInput(
            f"executor {name!r} ({executor!r}) is not a jupyter_mlops Executor", field="executor"
        )
    return executor


def check(name: str) -> str:
    """`name` if an executor is registered under it (without importing it)."""
    if name not in names():
        raise InvalidInput(
            f"unknown executor {name!r}; available: {', '.join(names())}", field="executor"
        )
    return name


__all__ = ["GROUP", "Executor", "ExecutorFeatures", "Handle", "check", "load", "names"]
