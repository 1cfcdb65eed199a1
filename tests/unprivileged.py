"""Run a child process without the powers that let root ignore file permissions.

CI runs as root, and root reads and writes any file whatever its mode. To test what a normal user
meets (a read-only cache file, an unreadable folder), the child runs under ``setpriv`` with
CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped from its bounding set, so a ``chmod 444`` file is
really read-only for it. Not root: the child runs as it is (it has no such powers anyway).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DROP = "-dac_override,-dac_read_search"


def unprivileged_prefix() -> list[str]:
    """The command prefix, or a pytest skip (with the reason) if permissions cannot be enforced."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed, so root cannot be made to respect file modes")
    prefix = [setpriv, f"--bounding-set={DROP}", f"--inh-caps={DROP}"]
    with tempfile.TemporaryDirectory() as folder:
        locked = Path(folder) / "read-only"
        locked.write_text("")
        locked.chmod(0o444)
        probe = subprocess.run([*prefix, sys.executable, "-c", f"import os; print(os.access({str(locked)!r}, os.W_OK))"],
                               capture_output=True, text=True)
    if probe.returncode != 0 or probe.stdout.strip() != "False":
        pytest.skip(f"setpriv cannot drop root's file-permission override here: {probe.stderr.strip()[:200]}")
    return prefix


def run_unprivileged(args: list[str], *, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """``args`` (e.g. ``[sys.executable, "-m", "cli", ...]``) run without DAC override, from the repository root."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **kwargs.pop("env", {})}
    return subprocess.run([*unprivileged_prefix(), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env, **kwargs)


def python_unprivileged(code: str, **kwargs) -> subprocess.CompletedProcess:
    return run_unprivileged([sys.executable, "-c", code], **kwargs)
