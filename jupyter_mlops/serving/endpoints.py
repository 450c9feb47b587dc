"""Talking to a serving process over HTTP: its readiness, and predictions.

`http.client` rather than urllib: urllib would send loopback requests through an
`http_proxy` set in the environment.
"""

from __future__ import annotations

import http.client


def url(host: str, port: int, path: str = "/invocations") -> str:
    # A process listening on every address is reached locally through loopback.
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{path}"


def ready(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether `/ready` answers 200: the model is loaded and predicted its input example."""
    try:
        status, _ = call(host, port, "GET", "/ready", timeout=timeout)
    except OSError:
        return False
    return status == 200


def call(
    host: str,
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    content_type: str | None = None,
    timeout: float = 30.0,
) -> tuple[int, bytes]:
    """(status, body) of one request; OSError when nothing answers."""
    connection = http.client.HTTPConnection(
        "127.0.0.1" if host in ("0.0.0.0", "") else host, port, timeout=timeout
    )
    try:
        headers = {"Content-Type": content_type} if content_type else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    except http.client.HTTPException as err:  # a malformed or cut answer
        raise OSError(str(err)) from err
    finally:
        connection.close()
