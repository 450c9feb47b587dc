"""The GPU inventory and which GPUs a job or a serving process may take.

The inventory is declared in configuration (so tests and GPU-less machines can model
one) or detected with `nvidia-smi`, once. Each process gets exactly the devices it was
given, through CUDA_VISIBLE_DEVICES, so two jobs never share a GPU.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from ..lazy import locked_cached_property


@dataclass(frozen=True)
class Gpu:
    id: str  # the CUDA device index, as CUDA_VISIBLE_DEVICES takes it
    name: str


class GpuInventory:
    """The GPUs of this host that jobs and deployments may use."""

    def __init__(self, declared: tuple[str, ...] | None = None):
        # None: detect with nvidia-smi when first asked (a second on a GPU host).
        self.declared = declared

    @locked_cached_property
    def gpus(self) -> list[Gpu]:
        if self.declared is None:
            return detect()
        return [Gpu(gpu_id, "declared") for gpu_id in self.declared]

    def __len__(self) -> int:
        return len(self.gpus)

    def ids(self) -> set[str]:
        return {gpu.id for gpu in self.gpus}

    def allocate(self, busy: set[str], count: int, gpu_type: str | None = None) -> list[str] | None:
        """`count` free GPU ids (of the wanted type), or None when not enough are free."""
        if count == 0:
            return []
        free = [
            gpu.id
            for gpu in self.gpus
            if gpu.id not in busy and (not gpu_type or gpu_type.lower() in gpu.name.lower())
        ]
        return free[:count] if len(free) >= count else None

    def views(self) -> list[dict]:
        return [{"id": gpu.id, "name": gpu.name} for gpu in self.gpus]


def detect() -> list[Gpu]:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        listing = subprocess.run(
            [smi, "--query-gpu=index,name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in listing.splitlines():
        index, _, name = line.partition(",")
        if index.strip().isdigit():
            found.append(Gpu(index.strip(), name.strip()))
    return found


def visible(gpu_ids: list[str]) -> dict[str, str]:
    """The environment that shows a process exactly `gpu_ids` (none when empty).

    The ids are nvidia-smi's indices, which follow the PCI bus; CUDA numbers devices
    fastest first unless told otherwise, so without the order a job on a machine of
    mixed GPUs could be shown another job's GPU.
    """
    return {"CUDA_DEVICE_ORDER": "PCI_BUS_ID", "CUDA_VISIBLE_DEVICES": ",".join(gpu_ids)}
