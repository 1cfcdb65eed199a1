"""Take the README's screenshots: start the app, run the bundled model, open every view.

    .venv/bin/python docs/screenshots.py                       # writes docs/screenshots/*.png
    .venv/bin/python docs/screenshots.py --only training,presentation

Uses Debian's chromium (apt-get install chromium) through Playwright; takes a few minutes the
first time (model runs, a shuffle sweep, UMAP), seconds once the cache is warm. The cache is
``TOKEN_GEOMETRY_CACHE`` (default artifacts/screens.duckdb). The Training page shows what that
store holds: make a series with ``docs/train_tiny_series.py`` and ``python -m cli checkpoints``,
and a sweep with ``python -m cli lora-sweep``, into the same file first (else its shots are skipped).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from local_server import free_port, healthy  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _idle(page, timeout: float = 600) -> None:
    """Wait until Streamlit has finished the current run and drawn every element."""
    app = '[data-testid="stApp"]'
    page.wait_for_selector(f'{app}[data-test-connection-state="CONNECTED"]', timeout=timeout * 1000)
    page.wait_for_selector(f'{app}[data-test-script-state="notRunning"]', timeout=timeout * 1000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"], "
                           "[data-testid=\"stAppSkeleton\"]')", timeout=timeout * 1000)
    # A run goes on in the background while its progress box polls (ui.jobs): wait until it is done.
    page.wait_for_function("() => !document.body.innerText.includes(' s elapsed')", timeout=timeout * 1000)
    page.wait_for_selector(f'{app}[data-test-script-state="notRunning"]', timeout=timeout * 1000)
    # Every chart drawn by Plotly (on a busy machine a chart can still be an empty box here).
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(
        e => { const gd = e.querySelector('.js-plotly-plot'); return gd && gd._fullLayout
               && gd.querySelector('.main-svg'); })""", timeout=timeout * 1000)
    time.sleep(1.0)  # let Plotly finish its transitions


SHOTS = ("layers", "layers-shuffled", "tokens", "neighbours", "umap", "compare", "embeddings", "steering", "corpus",
         "training", "presentation")


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(SHOTS), help=f"comma-separated, of {', '.join(SHOTS)}")
    wanted = set(parser.parse_args().only.split(","))

    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "TOKEN_GEOMETRY_CACHE": os.environ.get("TOKEN_GEOMETRY_CACHE", str(ROOT / "artifacts" / "screens.duckdb"))}
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            if healthy(base, timeout=1):
                break
            time.sleep(0.5)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1250})

            def shot(path: str, name: str, *steps: str, height=1250, whole=False):
                """Open a view, do the steps ("tab:Name" opens a tab, "text:…" clicks a text, anything else
                presses a button); ``whole``: make the window as tall as the page first."""
                if name not in wanted:
                    return
                page.set_viewport_size({"width": 1500, "height": height})
                page.goto(f"{base}/{path}")
                page.wait_for_selector("text=Run", timeout=120_000)
                _idle(page)
                for step in steps:
                    if step.startswith("tab:"):
                        page.get_by_role("tab", name=step[4:]).click()
                    elif step.startswith("text:"):
                        page.get_by_text(step[5:]).first.click()
                    else:
                        page.get_by_role("button", name=step, exact=step == "Run").first.click()
                    time.sleep(1)
                    _idle(page)
                # The page scrolls inside Streamlit's main block, so a full-page screenshot would stop at
                # the window: make the window as tall as the page (within reason), so no panel is cut.
                needed = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
                if whole and needed > height:
                    page.set_viewport_size({"width": 1500, "height": min(int(needed) + 20, 4000)})
                    time.sleep(1)
                    _idle(page)
                page.screenshot(path=str(OUT / f"{name}.png"))
                print("wrote", OUT / f"{name}.png", flush=True)

            shot("", "layers", "Run")
            shot("", "layers-shuffled", "tab:Structured vs shuffled", "Run the shuffle sweep")
            shot("tokens", "tokens", height=1500)
            shot("neighbours", "neighbours", "Add the fully shuffled")
            shot("umap", "umap")
            shot("compare", "compare", "Run the second", "Compare the embeddings", height=1500, whole=True)
            shot("embeddings", "embeddings", "Measure", height=1900, whole=True)
            shot("steering", "steering", "Fit the layer maps", "Steer", height=3300)
            shot("corpus", "corpus", "text:Run a prompt set", "Run 8 prompts here", height=2300)
            if "training" in wanted:
                training(page, base)

            # Presentation mode: one figure per screen at the two usual projector sizes.
            sizes = (((1280, 720), "neighbours?present=1"), ((1920, 1080), "?present=1"))
            for (width, height), path in sizes if "presentation" in wanted else ():
                page.set_viewport_size({"width": width, "height": height})
                page.goto(f"{base}/{path}")
                page.wait_for_selector(".js-plotly-plot", timeout=120_000)
                _idle(page)
                time.sleep(1.5)  # the window's size is reported and the figure resized once
                _idle(page)
                page.screenshot(path=str(OUT / f"presentation-{width}x{height}.png"))
                print("wrote", OUT / f"presentation-{width}x{height}.png", flush=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


def training(page, base: str) -> None:
    """The Training page: a checkpoint series (the whole page), then its LoRA-rank experiment."""
    page.set_viewport_size({"width": 1500, "height": 2900})
    page.goto(f"{base}/training")
    page.wait_for_selector("text=Run", timeout=120_000)
    _idle(page)
    if page.get_by_text("No checkpoint series in the store yet").count():
        print("skipped training: the store holds no checkpoint series (see this script's docstring)", flush=True)
        return
    page.screenshot(path=str(OUT / "training.png"))
    print("wrote", OUT / "training.png", flush=True)
    if page.get_by_text("No LoRA sweep in the store yet").count():
        print("skipped training-lora: the store holds no LoRA sweep", flush=True)
        return
    page.set_viewport_size({"width": 1500, "height": 1300})
    _idle(page)
    page.get_by_text("LoRA rank experiment").first.evaluate("e => e.scrollIntoView({block: 'start'})")
    time.sleep(1.0)
    page.screenshot(path=str(OUT / "training-lora.png"))
    print("wrote", OUT / "training-lora.png", flush=True)


if __name__ == "__main__":
    main()
