"""settings.py: every environment variable read in one place, at call time, and in the README."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import settings

ROOT = Path(__file__).resolve().parents[1]


def test_defaults():
    found = settings.current({})
    assert (found.cache_path, found.model_dir, found.device, found.threads, found.workers) == (None, None, "cpu", None, None)
    assert (found.quick_wait, found.malloc_tuning, found.omp_wait_policy) == (0.3, True, "PASSIVE")


def test_values_are_read_when_asked_so_a_test_can_set_them(monkeypatch, tmp_path):
    monkeypatch.setenv("TOKEN_GEOMETRY_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("TOKEN_GEOMETRY_WORKERS", "1")
    assert settings.current().model_dir == tmp_path and settings.current().workers == 1
    from cache import default_store_path
    from lm.paths import model_cache_dir
    from pipeline.runner import geometry_workers

    assert model_cache_dir() == tmp_path and geometry_workers() == 1
    monkeypatch.setenv("TOKEN_GEOMETRY_CACHE", str(tmp_path / "x.duckdb"))
    assert default_store_path() == tmp_path / "x.duckdb"


def test_user_tuned_malloc_or_zero_switches_the_tuning_off():
    assert not settings.current({"TOKEN_GEOMETRY_MALLOC_TUNING": "0"}).malloc_tuning
    assert not settings.current({"MALLOC_ARENA_MAX": "2"}).malloc_tuning
    assert not settings.current({"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=1"}).malloc_tuning


@pytest.mark.parametrize("name, text", [("TOKEN_GEOMETRY_THREADS", "many"), ("TOKEN_GEOMETRY_QUICK_WAIT", "-1")])
def test_an_unusable_value_names_the_variable(name, text):
    with pytest.raises(settings.SettingsError, match=name):
        settings.current({name: text})


def test_the_readme_lists_every_variable():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Settings\n(.*?)(?=^## )", readme, flags=re.S | re.M).group(1)
    assert [v.name for v in settings.VARIABLES if f"`{v.name}`" not in section] == []


def test_no_other_module_of_the_program_reads_the_environment():
    """Only settings.py reads os.environ (startup.py writes OMP_WAIT_POLICY; Ray's worker
    environment passes PYTHONPATH on). Tests, benchmarks and docs scripts are not the program."""
    allowed = {"settings.py", "startup.py", "pipeline/ray_executor.py"}
    readers = []
    for path in sorted(ROOT.glob("*.py")) + sorted(ROOT.glob("*/*.py")) + sorted(ROOT.glob("ui/figures/*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.split("/")[0] in {"tests", "bench", "docs", ".venv"} or relative in allowed:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") for node in ast.walk(tree)):
            readers.append(relative)
    assert readers == []
