"""Processes the agent starts (job workers, serving processes, routers): each in a
session of its own, found again after an agent restart, and stopped with everything it
started (a job's kernel included).

A pid alone can be reused after its process died, so a process is recognised by
its pid and its start time (from /proc), which together are unique on a host.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def start(
    argv: list[str], env: dict[str, str], log: Path, cwd: Path, pipes: bool = False
) -> subprocess.Popen:
    """Start `argv` (never through a shell) as the leader of a new process group.

    Its stderr goes to `log`; with `pipes`, stdin and stdout are pipes to talk to it.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.PIPE if pipes else subprocess.DEVNULL,
            stdout=subprocess.PIPE if pipes else out,
            stderr=out,
            start_new_session=True,
        )


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot, or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the command name (which may hold spaces) start after the last ')'.
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":  # a zombie has finished; only its exit status is left
        return None
    return fields[19]


def alive(pid: int | None, started: str | None) -> bool:
    return pid is not None and started is not None and start_time(pid) == started


def stop_group(pid: int, grace: float = 5.0) -> None:
    """SIGTERM the process group led by `pid`, then SIGKILL what is left after `grace`."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    # Not `killpg(pid, 0)`: a leader that exited stays a zombie until its parent (often
    # the caller) reaps it, and would keep the group "running" for the whole grace.
    while time.monotonic() < deadline:
        if not group_running(pid):
            return
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def group_running(pgid: int) -> bool:
    """Whether a process of group `pgid` still runs (zombies, which only wait to be
    reaped, do not count). Linux does not hand out a group's id as a new pid while the
    group has members, so a leader's pid names its group until the group is empty."""
    return any(int(group) == pgid and state != "Z" for _pid, (state, _parent, group, _) in _stats())


def _stats():
    """(pid, (state, parent pid, group, session)) of every process, from /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended while we looked
        # Fields after the command name (which may hold spaces) start after the last ')'.
        yield int(entry.name), tuple(stat.rsplit(")", 1)[1].split()[:4])


def family(pid: int) -> list[tuple[int, str]]:
    """`pid`, every process it started (also those that made a session of their own, as
    Ray's job entrypoints do) and what is left of its session, each with its start time,
    so that they can be stopped together and recognised afterwards."""
    children: dict[int, list[int]] = {}
    found = {pid}
    for child, (state, parent, _group, session) in _stats():
        if state == "Z":
            continue
        children.setdefault(int(parent), []).append(child)
        if int(session) == pid:  # orphans of the session, reparented away from it
            found.add(child)
    todo = list(found)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return [(p, started) for p in sorted(found) if (started := start_time(p)) is not None]


def stop_all(
    members: list[tuple[int, str]], grace: float, term: list[tuple[int, str]] | None = None
) -> None:
    """SIGTERM `term` (default: all `members`, each a pid and a start time), wait up to
    `grace` for every member to end, then SIGKILL those left. A pid whose start time
    differs is another process now, and is left alone."""
    for pid, started in members if term is None else term:
        _signal(pid, started, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(p, s) for p, s in members):
        time.sleep(0.1)
    for pid, started in members:
        _signal(pid, started, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and any(alive(p, s) for p, s in members):
        time.sleep(0.1)


def _signal(pid: int, started: str, sig: signal.Signals) -> None:
    if alive(pid, started):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
