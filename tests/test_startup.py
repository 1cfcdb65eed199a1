"""The malloc tuning (allocator.py) and the OpenMP wait policy, applied once at start-up
(startup.configure_process: app.py, python -m cli), never by importing a package."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str, **environment) -> str:
    env = {"PATH": "/usr/bin:/bin", **environment}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                          env=env).stdout.strip()


def applied(**environment) -> str:
    return _run("import startup; startup.configure_process(); import allocator; print(allocator._applied)",
                **environment)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_start_up_tunes_malloc_on_glibc():
    assert applied() == "True"


def test_the_user_can_switch_it_off_or_tune_malloc_themselves():
    assert applied(TOKEN_GEOMETRY_MALLOC_TUNING="0") == "False"
    assert applied(MALLOC_TRIM_THRESHOLD_="1000000") == "False"
    assert applied(GLIBC_TUNABLES="glibc.malloc.arena_max=2") == "False"


def test_importing_the_packages_changes_nothing_process_wide():
    code = "import os, lm, pipeline, allocator; print(allocator._applied, os.environ.get('OMP_WAIT_POLICY'))"
    assert _run(code) == "None None"


def test_start_up_sets_a_passive_openmp_wait_unless_the_user_chose():
    code = "import os, startup; startup.configure_process(); print(os.environ['OMP_WAIT_POLICY'])"
    assert _run(code) == "PASSIVE"
    assert _run(code, OMP_WAIT_POLICY="ACTIVE") == "ACTIVE"


def test_the_cli_and_the_app_configure_the_process_before_anything_else():
    for entry in ("cli/__main__.py", "app.py"):
        body = [node for node in ast.parse((ROOT / entry).read_text()).body
                if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]  # the docstring
        assert ast.unparse(body[0]) == "import startup", entry
        assert ast.unparse(body[1]) == "startup.configure_process()", entry


def test_start_up_loads_no_package_so_the_cli_answers_at_once():
    code = "import sys, startup; startup.configure_process(); print(sorted({'lm', 'pipeline', 'cache', 'torch', 'numpy'} & set(sys.modules)))"
    assert _run(code) == "[]"
