"""Ray is optional: the dashboard's modules and a sequential CLI run never import it, and asking for
``--executor ray`` where it is not installed is one clear line (exit 2), not a traceback."""

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main
from tests.tiny_model import SAMPLE_PASSAGES

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("cache", "cli", "geometry", "lm", "pipeline", "prompts", "ui")  # views/ are pages: run by app.py


def test_the_app_its_modules_and_a_sequential_run_never_import_ray(tiny_model_dir, tmp_path):
    modules = sorted(name for package in PACKAGES
                     for _, name, _ in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}.")
                     if not name.endswith("__main__"))  # cli.__main__ would run the CLI on import
    assert "pipeline.ray_executor" in modules and "ui.corpus_run" in modules  # the walk found the modules
    prompts = tmp_path / "two.jsonl"
    prompts.write_text("".join(json.dumps({"text": text}) + "\n" for text in SAMPLE_PASSAGES[:2]))
    code = (f"import importlib, sys\nfor name in {modules!r}:\n    importlib.import_module(name)\n"
            "from streamlit.testing.v1 import AppTest\n"
            "assert not AppTest.from_file('app.py', default_timeout=120).run().exception\n"
            "from cli.main import main\n"
            f"code = main(['run', '--model', {str(tiny_model_dir)!r}, '--prompts', {str(prompts)!r}, '--max-tokens', "
            f"'64', '--device', 'cpu', '--store', {str(tmp_path / 'store.duckdb')!r}])\n"
            "print(code, sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "0 []", out.stdout


def test_executor_ray_without_ray_installed_is_one_line(tiny_model_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError, as when it is missing
    prompts = tmp_path / "one.jsonl"
    prompts.write_text(json.dumps({"text": SAMPLE_PASSAGES[0]}) + "\n")
    code = main(["run", "--model", str(tiny_model_dir), "--prompts", str(prompts), "--device", "cpu",
                 "--store", str(tmp_path / "store.duckdb"), "--executor", "ray"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith("error: Ray is not installed") and "requirements-ray.txt" in err[-1]


@pytest.mark.parametrize("flag, value, message", [
    ("--gpus-per-task", "-1", "must be a finite number >= 0, got '-1'"),
    ("--gpus-per-task", "nan", "must be a finite number >= 0, got 'nan'"),
    ("--cpus-per-task", "0", "must be a finite number > 0, got '0'"),
    ("--units-per-task", "0", "must be at least 1"),
    ("--executor", "dask", "invalid choice"),
    ("--ray-shards", "nfs", "invalid choice"),
])
def test_bad_ray_flags_exit_2_with_one_line(flag, value, message, capsys):
    assert main(["run", "--prompts", "p.jsonl", "--executor", "ray", flag, value]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
