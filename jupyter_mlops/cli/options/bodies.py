"""What the request builders of several areas share."""

from __future__ import annotations


def given(values: dict) -> dict:
    """The entries of `values` whose option was given (not None)."""
    return {key: value for key, value in values.items() if value is not None}
