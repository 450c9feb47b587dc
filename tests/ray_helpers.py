"""A throwaway local Ray head for the tests: its own ports and temp folder, GPUs declared
(none exist here), stopped with its unfinished jobs and everything it started."""

from __future__ import annotations

from jupyter_mlops.team.ray_head import LocalHead


def start_head(gpus: int = 1, cpus: int = 2, timeout: float = 120.0) -> LocalHead:
    return LocalHead.start(cpus=cpus, gpus=gpus).wait(timeout)
