"""End-to-end fixtures: a real `streamlit run app.py` server and a headless Debian Chromium.

The server runs once per test session on 127.0.0.1 and a free port, with its own DuckDB cache file,
and is always stopped at the end. Every test gets a fresh browser context (a fresh Streamlit session).
Screenshots of every step go to artifacts/e2e/ in the repository root (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from local_server import free_port, healthy

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "e2e"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
SERVER_START_TIMEOUT = 90  # seconds until /_stcore/health answers
APP_TIMEOUT = 60_000  # ms: a page of the app loads and its script finishes
RUN_TIMEOUT = 240_000  # ms: a Run, including the first load (and one-off conversion) of the bundled model


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser():
    """A headless Debian Chromium driven by Playwright (skips all e2e tests if there is none)."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium browser installed: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (make test installs it)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def streamlit_server(script: str, *, log_path: Path, env: dict[str, str] | None = None):
    """`streamlit run <script>` (a path from the repository root) on 127.0.0.1 and a free port; yields
    its URL once it answers its health check, and stops it afterwards. Its log goes to ``log_path``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    # No file watcher: people edit the tree while tests run, and the log below lives in the tree.
    command = [sys.executable, "-m", "streamlit", "run", script, "--server.address", "127.0.0.1",
               "--server.port", str(port), "--server.headless", "true", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false"]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while not healthy(url):
                if process.poll() is not None:
                    pytest.fail(f"streamlit exited with code {process.returncode}:\n{log_path.read_text()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not answer {url}/_stcore/health in {SERVER_START_TIMEOUT} s:\n"
                                f"{log_path.read_text()}")
                time.sleep(0.2)
            yield url
        finally:
            _stop(process)


@pytest.fixture(scope="session")
def app_url(browser, tmp_path_factory, artifacts_dir) -> str:
    """`streamlit run app.py` on 127.0.0.1 with an empty cache file; its log goes to artifacts/e2e/."""
    env = {
        "TOKEN_GEOMETRY_CACHE": str(tmp_path_factory.mktemp("e2e-cache") / "results.duckdb"),
        # Every run shows its progress box, however fast the machine (users see none for runs under
        # 0.3 s): the tests that watch a run in progress must not depend on the machine being slow.
        "TOKEN_GEOMETRY_QUICK_WAIT": "0",
    }
    with streamlit_server("app.py", log_path=artifacts_dir / "streamlit.log", env=env) as url:
        yield url


class Shots:
    """Numbered screenshots for one test: artifacts/e2e/<test>-<nn>-<step>.png."""

    def __init__(self, page, directory: Path, test_name: str):
        self.page, self.directory, self.count = page, directory, 0
        self.prefix = re.sub(r"[^\w.-]+", "_", test_name).strip("_")

    def __call__(self, step: str) -> Path:
        self.count += 1
        slug = re.sub(r"[^\w.-]+", "_", step)
        path = self.directory / f"{self.prefix}-{self.count:02d}-{slug}.png"
        self.page.screenshot(path=str(path))
        return path


@contextmanager
def browser_page(browser, app_url: str, *, width: int, height: int, **options):
    """A page in a browser context of its own (its own Streamlit session), closed afterwards."""
    context = browser.new_context(base_url=app_url, viewport={"width": width, "height": height}, **options)
    context.set_default_timeout(APP_TIMEOUT)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser, app_url):
    with browser_page(browser, app_url, width=1400, height=1000) as page:
        yield page


@pytest.fixture
def shot(page, artifacts_dir, request) -> Shots:
    shots = Shots(page, artifacts_dir, request.node.name)
    yield shots
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        try:
            shots("FAILED")
        except Exception:  # the page may be gone; the failure itself matters more
            pass


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report
