"""The README's pictures, taken by the browser tests from the real UI, so they never drift
from the product: with JUPYTER_MLOPS_SCREENSHOTS=<folder> (docs/images for the README),
each `picture(...)` call writes a small optimised PNG; without it, nothing is written."""

from __future__ import annotations

import os
from pathlib import Path

SCREENSHOTS_ENV = "JUPYTER_MLOPS_SCREENSHOTS"
COLORS = 128  # a UI's few flat colours: a palette PNG is a fraction of the full one


def picture(target, name: str) -> Path | None:
    """Screenshot `target` (a Playwright page or locator) as `<folder>/<name>.png`."""
    folder = os.environ.get(SCREENSHOTS_ENV)
    if not folder:
        return None
    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=path, animations="disabled")
    from PIL import Image  # only where pictures are asked for

    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(colors=COLORS, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    return path
