"""How each server of the team stack is started (argument lists, never a shell) and how
it is asked whether it answers."""

from __future__ import annotations

import json
import os
import socket
import sys
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"
BIN = Path(sys.executable).parent  # where this environment's mlflow, ray and jupyter are


def mlflow(bin_dir: Path, artifacts: Path, port: int) -> list[str]:
    # The backend store's URL goes in the environment (MLFLOW_BACKEND_STORE_URI), not
    # here, where every user's `ps` would show its password.
    return [
        str(bin_dir / "mlflow"),
        "server",
        "--serve-artifacts",
        "--artifacts-destination",
        str(artifacts),
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "2",
    ]


def ray(bin_dir: Path, port: int, dashboard: int, cpus: int, gpus: int | None, temp_dir: Path):
    argv = [
        str(bin_dir / "ray"),
        "start",
        "--head",
        "--block",  # stays in the foreground: stopping it stops the head's processes
        f"--port={port}",
        f"--dashboard-host={HOST}",
        f"--dashboard-port={dashboard}",
        # Fixed by default (10001, 52365): two heads on one machine would clash.
        f"--ray-client-server-port={free_port()}",
        f"--dashboard-agent-listen-port={free_port()}",
        f"--num-cpus={cpus}",
        f"--temp-dir={temp_dir}",
        "--disable-usage-stats",
    ]
    if gpus is not None:
        argv.append(f"--num-gpus={gpus}")  # declared, also where none exist
    return argv


def ray_env(bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    # Job entrypoints run `python`: this environment's, where jupyter_mlops is.
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    return env


def lab(bin_dir: Path, config_file: Path) -> list[str]:
    # Settings in a file (mode 0600), not arguments: the state URL holds the password.
    return [str(bin_dir / "jupyter"), "lab", f"--config={config_file}"]


def lab_config(port: int, root_dir: Path, token: str, mlops: dict[str, str]) -> dict:
    return {
        "ServerApp": {
            "ip": HOST,
            "port": port,
            "port_retries": 0,
            "open_browser": False,
            "root_dir": str(root_dir),
            "allow_root": os.getuid() == 0,
        },
        "IdentityProvider": {"token": token},
        "MLOpsApp": mlops,
    }


def answers(name: str, service: dict) -> bool:
    """Whether the service `name`, as team.json records it, answers now."""
    try:
        if name == "postgres":
            with socket.create_connection((HOST, service["port"]), timeout=2):
                return True
        if name == "mlflow":
            return _get(f"{service['url']}/health") == b"OK"
        if name == "lab":
            return b"version" in _get(f"http://{HOST}:{service['port']}/api")
        # Ray takes jobs once its node has registered its resources.
        status = json.loads(_get(f"{service['jobs_api']}/api/cluster_status"))
        return "CPU" in status["data"]["clusterStatus"]["loadMetricsReport"]["usage"]
    except (OSError, ValueError, KeyError, TypeError):
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def node_ip() -> str:
    """The address Ray's GCS listens on: Ray refuses loopback for a node and takes the
    one its outgoing route uses (a UDP socket's connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("8.8.8.8", 80))
            return probe.getsockname()[0]
        except OSError:
            return HOST


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=3) as answer:
        return answer.read()
