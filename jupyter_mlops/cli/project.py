"""`jupyter mlops status | agent`: the project's stores, and the agent run headless."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal

from ..agent import Agent
from ..config import redact_url
from ..project import dotted
from ..redact import guard_log
from ..services import Services
from . import options


def add_parsers(verbs) -> None:
    options.project.status(verbs, json_help="print JSON")
    agent = verbs.add_parser("agent", help="run the agent headless (scheduler, supervisor)")
    agent.add_argument("--interval", type=float, default=1.0, help="seconds between steps")
    agent.add_argument("--lease-seconds", type=float, default=15.0, help="lease duration")


def status(services: Services, args: argparse.Namespace) -> int:
    report = services.project.status()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for key, value in dotted(report):
        print(f"{key}: {'-' if value is None else value}")
    return 0


def agent(services: Services, args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    guard_log(logging.getLogger())  # agent logs land in CI and journald: no passwords
    # As the Lab server does: this process and what it starts resolve this project, and
    # MLflow's process-wide calls (model info at registration) use its store.
    os.environ.update(services.config.env())
    # Built by the agent once the state DB is usable: started on a full disk or an
    # unwritable DB, it waits (and says so once) instead of exiting.
    runner = Agent(
        lambda: services.store,
        services.agent_workers,
        lease_seconds=args.lease_seconds,
        interval=args.interval,
    )

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
# Verbs that only read: where there is no home yet they say so, and create none.
READS = {"status"}
