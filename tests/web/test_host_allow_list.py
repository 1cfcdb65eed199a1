"""DNS rebinding (issue 12, item 12): a running server refuses a WebSocket whose Host is not in
``server.allowedHosts`` (set in .streamlit/config.toml), with real HTTP upgrade requests."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from local_server import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``streamlit run`` from the repository root (so it reads the project's config) on a tiny script."""
    script = tmp_path_factory.mktemp("host-check") / "hello.py"
    script.write_text("import streamlit as st\nst.write('hello')\n")
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                                "--server.headless", "true"], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("streamlit did not start")
    yield port
    process.terminate()
    process.wait(timeout=20)


def _upgrade(port: int, host: str, origin: str) -> str:
    """Send a WebSocket upgrade for Streamlit's stream with the given Host and Origin; the status line."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Protocol: streamlit\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request.encode())
        return connection.recv(4096).decode(errors="replace").split("\r\n", 1)[0]


def test_B36_a_websocket_from_a_rebound_hostname_is_refused(server):
    status = _upgrade(server, f"rebind.evil.example:{server}", f"http://rebind.evil.example:{server}")
    assert " 101 " not in status, f"the rebound host was accepted: {status}"


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_B36_a_websocket_to_the_local_names_is_accepted(server, host):
    status = _upgrade(server, f"{host}:{server}", f"http://{host}:{server}")
    assert " 101 " in status, status


def test_B36_the_config_keeps_xsrf_and_cors_protection_on():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
    assert config["enableXsrfProtection"] is True and config["enableCORS"] is True
    assert config["address"] == "127.0.0.1" and "rebind.evil.example" not in config["allowedHosts"]
