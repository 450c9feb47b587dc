"""Ports for serving processes: a free one, or whether a given one can be bound."""

from __future__ import annotations

import socket


def free(host: str, port: int) -> bool:
    """Whether `port` can be bound on `host` now, as the serving process will bind it."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        # As asyncio's servers do: a port left in TIME_WAIT by a stopped process is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def pick(host: str, taken: set[int] = frozenset()) -> int:
    """A port the OS says is free on `host` and that no other deployment has claimed."""
    for _ in range(100):
        with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
        if port not in taken:
            return port
    raise OSError(f"no free port on {host}")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
