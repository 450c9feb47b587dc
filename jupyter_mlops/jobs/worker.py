"""`python -m jupyter_mlops.jobs.worker EXECUTION_ID`: the process the agent starts
for one execution. Exit status 0 when the notebook ran to the end."""

from __future__ import annotations

import logging
import sys

from ..services import Services
from .execute import execute


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    (execution_id,) = argv
    services = Services.from_env()
    return 0 if execute(services, execution_id) == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
