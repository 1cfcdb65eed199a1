"""Two probes for a Streamlit server started on this machine (the browser tests, the latency
benchmark and the screenshot script start one): a free port on 127.0.0.1, and whether the server
answers its health check yet. Standard library only."""

from __future__ import annotations

import socket
import urllib.request


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(url: str, *, timeout: float = 2.0) -> bool:
    """Whether the Streamlit server at ``url`` (e.g. ``http://127.0.0.1:8501``) answers
    ``/_stcore/health`` with 200."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False
