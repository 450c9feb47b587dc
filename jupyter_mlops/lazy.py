"""A cached property that is built once even when threads race for it.

The server answers requests from a thread pool and a job worker loads MLflow in a
thread while its main thread runs the notebook; `functools.cached_property` stopped
locking in Python 3.12, so two threads could each build an MLflow client.
"""

from __future__ import annotations

import threading
from functools import update_wrapper


class locked_cached_property:  # noqa: N801 - named like the decorator it stands in for
    def __init__(self, func):
        self.func = func
        self.name = func.__name__
        # One lock per property, not per instance: builds are rare and short-lived.
        self.lock = threading.RLock()
        update_wrapper(self, func)

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        values = instance.__dict__
        if self.name in values:  # the instance attribute shadows this descriptor once set
            return values[self.name]
        with self.lock:
            if self.name not in values:
                values[self.name] = self.func(instance)
            return values[self.name]
