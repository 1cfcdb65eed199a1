"""The malloc tuning applied when pipeline is imported (pipeline/allocator.py)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def applied(**environment) -> str:
    code = "import pipeline, pipeline.allocator as a; print(a._applied)"
    env = {"PATH": "/usr/bin:/bin", **environment}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                          env=env).stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_importing_pipeline_tunes_malloc_on_glibc():
    assert applied() == "True"


def test_the_user_can_switch_it_off_or_tune_malloc_themselves():
    assert applied(TOKEN_GEOMETRY_MALLOC_TUNING="0") == "False"
    assert applied(MALLOC_TRIM_THRESHOLD_="1000000") == "False"
    assert applied(GLIBC_TUNABLES="glibc.malloc.arena_max=2") == "False"
