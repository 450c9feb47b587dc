"""The base of every area's status enums: `StrEnum`, which Python 3.10 lacks.

Statuses are `StrEnum`s, so they compare equal to the strings stored in the state DB
and in JSON answers, and `json.dumps` writes their value.
"""

from __future__ import annotations

import sys
from enum import Enum

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # pragma: no cover - Python 3.10

    class StrEnum(str, Enum):
        def __str__(self) -> str:
            return self.value


__all__ = ["StrEnum"]
