"""Where scoring jobs' predictions live: `<home>/batch/<name>/<version>/`, one folder of
parquet parts per run of a scoring job, with `_scoring.json` saying what made it.

A job writes into a hidden staging folder beside the versions and `publish` renames it to
the next version number: a rename is atomic, so a reader sees a whole version or none,
and two jobs publishing at once take two numbers (the loser of a race tries the next).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from pathlib import Path

from ..errors import InvalidInput, NotFound

BATCH_DIR = "batch"
RECORD = "_scoring.json"  # "_": readers of the parquet folder (pyarrow, pandas) skip it
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or name.endswith("."):
        raise InvalidInput(
            f"{name!r} is not an output name: letters, digits, '_', '.', '-' (100 at most)",
            field="output",
        )
    return name


class Outputs:
    """The versioned outputs under one home's `batch/` folder."""

    def __init__(self, home: Path):
        self.root = home / BATCH_DIR

    def folder(self, name: str) -> Path:
        return self.root / check_name(name)

    def staging(self, name: str) -> Path:
        """A fresh folder to write a version into, invisible to `versions`."""
        return self.folder(name) / f".staging-{uuid.uuid4().hex}"

    def publish(self, staging: Path, record: dict) -> int:
        """Make the staged parts the next version, with their record; its number."""
        (staging / RECORD).write_text(json.dumps(record, indent=1))
        while True:
            version = max(self._numbers(staging.parent), default=0) + 1
            try:
                # rename() of a folder onto a missing name is atomic; onto an existing
                # one (a racing job took the number) it fails and we take the next.
                os.rename(staging, staging.parent / str(version))
                return version
            except OSError:
                if not (staging.parent / str(version)).exists():
                    raise

    @staticmethod
    def discard(staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    def names(self) -> list[dict]:
        """Every output, newest version first, with what made it."""
        if not self.root.is_dir():
            return []
        found = []
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir() and _NAME.match(folder.name):
                versions = self.versions(folder.name)
                if versions:
                    found.append({"name": folder.name, "versions": versions})
        return found

    def versions(self, name: str) -> list[dict]:
        folder = self.folder(name)
        return [
            {"version": number, "path": str(folder / str(number)), **self._record(folder, number)}
            for number in sorted(self._numbers(folder), reverse=True)
        ]

    def version(self, name: str, version: int) -> Path:
        path = self.folder(name) / str(int(version))
        if not path.is_dir():
            raise NotFound(f"output {name!r} has no version {version}")
        return path

    @staticmethod
    def _numbers(folder: Path) -> list[int]:
        if not folder.is_dir():
            return []
        return [int(p.name) for p in folder.iterdir() if p.name.isdigit() and p.is_dir()]

    @staticmethod
    def _record(folder: Path, number: int) -> dict:
        try:
            return json.loads((folder / str(number) / RECORD).read_text())
        except (OSError, ValueError):
            return {}
