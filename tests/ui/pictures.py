"""The README's pictures, taken by the browser tests from the real UI, so they never drift
from the product: with JUPYTER_MLOPS_SCREENSHOTS=<folder> (docs/images for the README),
each `picture(...)` call writes a small optimised PNG; without it, nothing is written."""

from __future__ import annotations

import os
from pathlib import Path

SCREENSHOTS_ENV = "JUPYTER_MLOPS_SCREENSHOTS"
COLORS = 256  # a UI's flat colours fit a palette: a fraction of a full-colour PNG


def picture_folder() -> str | None:
    """Where pictures go; None when they are not asked for."""
    return os.environ.get(SCREENSHOTS_ENV) or None


def picture(target, name: str) -> Path | None:
    """Screenshot `target` (a Playwright page or locator) as `<folder>/<name>.png`."""
    folder = picture_folder()
    if not folder:
        return None
    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page = getattr(target, "page", target)
    # JupyterLab's first-run question about its news: not the product's.
    news = page.locator(".Toastify__toast", has_text="Jupyter news")
    if news.count():
        news.locator("button", has_text="No").click()
        news.wait_for(state="detached")
    target.screenshot(path=path, animations="disabled")
    from PIL import Image  # only where pictures are asked for

    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(colors=COLORS, method=Image.Quantize.FASTOCTREE)
    small.save(path, optimize=True)
    return path
