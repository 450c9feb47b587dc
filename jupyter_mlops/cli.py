"""`jupyter mlops ...`: the CLI door, for terminals and CI. Same services as the others."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys

from . import __version__
from .agent import Agent
from .errors import MLOpsError
from .services import Services, redact_url


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jupyter mlops", description=__doc__)
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument(
        "--home", help="MLOps home folder (default: $JUPYTER_MLOPS_HOME, else .mlops/ upward)"
    )
    parser.add_argument("--state-url", help="SQLAlchemy URL of the state DB")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    status = verbs.add_parser("status", help="the stores this project uses and the agent state")
    status.add_argument("--json", action="store_true", help="print JSON")

    agent = verbs.add_parser("agent", help="run the agent headless (scheduler, supervisor)")
    agent.add_argument("--interval", type=float, default=1.0, help="seconds between steps")
    agent.add_argument("--lease-seconds", type=float, default=15.0, help="lease duration")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        services = Services.from_env(home=args.home, state_url=args.state_url)
        return VERBS[args.verb](services, args)
    except MLOpsError as err:
        print(f"jupyter mlops {args.verb}: {err.message}", file=sys.stderr)
        return 1


def status(services: Services, args: argparse.Namespace) -> int:
    report = services.status()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for key, value in report.items():
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                print(f"{key}.{sub}: {'-' if subvalue is None else subvalue}")
        else:
            print(f"{key}: {value}")
    return 0


def agent(services: Services, args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    runner = Agent(services.store, lease_seconds=args.lease_seconds, interval=args.interval)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        # SIGTERM and Ctrl-C end the loop cleanly, so the lease is handed back at
        # once instead of lapsing.
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        logging.info("agent %s on %s", runner.holder, redact_url(services.config.state_url))
        await runner.run(stop)

    asyncio.run(run())
    return 0


VERBS = {"status": status, "agent": agent}


if __name__ == "__main__":
    sys.exit(main())
