"""Latency and memory of the dashboard as a user meets them, in a real browser.

    .venv/bin/python bench/app_latency.py [--warm-runs 3] [--steps 4] [--skip-browser] [--skip-probe]
    .venv/bin/python bench/app_latency.py --against 4d93534 [--repeats 3 | --paired 4] [--this COMMIT]

``--against COMMIT`` serves that commit's app (``git archive`` into a temporary folder, same
virtualenv) and this tree's app (or ``--this COMMIT``'s) alternately (new, old, new, old, …; each a fresh server, browser
session and cache), and prints the medians of the page switch, the reload and the slider steps
side by side: on a shared machine, only measurements made in the same run can be compared.
``--paired ROUNDS`` serves both apps at once instead and alternates every measurement between
them, round by round (one model load each; the same load on both).

Needs the bundled model (converted once: any earlier analysis did it), Debian's chromium and the
playwright package (never ``playwright install``). Measures, with the goal of each:

(a) cold start: ``streamlit run app.py`` on a free port with a fresh TOKEN_GEOMETRY_CACHE → the
    first Layers chart (``.js-plotly-plot``) for a 512-token prompt (typed, then Run) — ≤ 8 s (issue 14);
(b) warm run: model loaded, a new 512-token prompt, Run → the Layers page's chart (the open tab,
    ID; its title carries the prompt) and the provenance line — ≤ 2 s (issue 14); then each other chart tab
    (overlap, cosine, scale), click → its chart;
(c) cached revisit: the browser reloads the page's URL (a new session; the prompt comes back from
    the cache by its hash) → the ID chart; and, in a subprocess, ``pipeline.analyse`` cache hit →
    the Layers figures serialised — ≤ 0.3 s request → chart data;
(d) one step of the layer slider (keyboard arrow) on the Tokens and UMAP pages, layers already
    visited (cached) → the page shows the new layer and the rerun is over — ≤ 0.5 s per step;
(e) peak RSS of analysing a 1024-token prompt with the bundled model, in a fresh subprocess
    (/proc/self/status VmHWM) — ≤ 2 GB; plus the server's own peak after (a)–(d);
(f) DuckDB file size per analysed prompt.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, bundled_tokenizer, exact_prompts, machine, summary  # noqa: E402
from local_server import free_port, healthy  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
APP = '[data-testid="stApp"]'
PLOT = ".js-plotly-plot"
LONG = 180_000  # ms: a first model load on a busy machine
GOALS = {"cold": 8.0, "warm": 2.0, "revisit": 0.3, "step": 0.5, "rss_gib": 2.0}

# The Layers page's other chart tabs, and words of the title of the chart each draws.
CHART_TABS = {"Neighbourhood overlap": "Neighbourhood overlap", "Cosine similarity": "Mean cosine",
              "Scale analysis": "GRIDE scale"}
# Words of the Layers page's ID chart title: a switch to Layers is done when that chart is drawn
# (the Tokens heatmap's title names the prompt too, so the prompt alone could end the wait early).
ID_CHART = "Intrinsic dimension of the token cloud"
# Titles of the drawn Plotly figures (plotly.js keeps the layout on the element).
TITLES = """() => [...document.querySelectorAll('.js-plotly-plot')].map(
    gd => String((gd._fullLayout && gd._fullLayout.title && gd._fullLayout.title.text) || ''))"""


def stop_server(server: subprocess.Popen, *, profiled: bool = False) -> None:
    """Stop a Streamlit server (SIGINT when py-spy records it: py-spy writes its profile then), and
    kill it if it has not exited after 20 s."""
    if profiled:
        server.send_signal(signal.SIGINT)
    else:
        server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def short(text: str, limit: int = 40) -> str:
    """The prompt as figure titles show it (ui.figures.common.short)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(pid: int, *, below: float = 0.1, timeout: float = 180.0) -> float:
    """Wait until the process uses less than ``below`` of a core over a second (e.g. the UMAP
    warm-up that starts after the first result is over); returns the seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        before = cpu_seconds(pid)
        time.sleep(1.0)
        if cpu_seconds(pid) - before < below:
            break
    return time.perf_counter() - started


def wait_idle(page, timeout: float = LONG) -> None:
    """Connected, the script run is over, and no element is still waiting for its JavaScript."""
    page.wait_for_selector(f'{APP}[data-test-connection-state="CONNECTED"]', timeout=timeout)
    page.wait_for_selector(f'{APP}[data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"], "
                           "[data-testid=\"stAppSkeleton\"]')", timeout=timeout)


def wait_charts(page, snippet: str, count: int, timeout: float = LONG, also: str = "") -> None:
    """At least ``count`` drawn figures whose title names the prompt (so they show the new result)
    and contains ``also``."""
    page.wait_for_function(
        """([snippet, count, also]) => [...document.querySelectorAll('.js-plotly-plot')].filter(gd => {
            const text = String((gd._fullLayout && gd._fullLayout.title && gd._fullLayout.title.text) || '');
            return text.includes(snippet) && text.includes(also); }).length >= count""",
        arg=[snippet, count, also], timeout=timeout)


def type_prompt_and_run(page, text: str) -> float:
    """Put ``text`` in the Prompt box and press Run; returns the time of the click."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    box = sidebar.get_by_role("textbox", name="Prompt", exact=True)
    box.fill(text)
    box.press("Control+Enter")  # commit the text (its own short rerun), so Run starts the analysis alone
    sidebar.locator('[data-testid="InputInstructions"]').wait_for(state="hidden")
    page.wait_for_timeout(300)
    wait_idle(page)
    button = sidebar.get_by_role("button", name="Run", exact=True)
    started = time.perf_counter()
    button.click()
    return started


def layer_slider(page, label: str):
    """The page's own slider (not the sidebar's): an <input type=range> labelled ``label``."""
    return page.locator(f'[data-testid="stMain"] input[type="range"][aria-label="{label}"]').first


def slider_steps(page, label: str, signal, steps: int, *, key: str = "ArrowRight") -> list[float]:
    """Press → (or ``key``) on the page's layer slider ``steps`` times; seconds from each key press
    until the server-rendered ``signal(layer)`` text is on the page and the rerun is over."""
    thumb = layer_slider(page, label)
    times = []
    for _ in range(steps):
        before = int(thumb.get_attribute("aria-valuetext") or thumb.input_value())
        thumb.focus()
        started = time.perf_counter()
        thumb.press(key)
        page.get_by_text(signal(before + (1 if key == "ArrowRight" else -1)), exact=False).first.wait_for(timeout=LONG)
        page.wait_for_selector(f'{APP}[data-test-script-state="notRunning"]', timeout=LONG)
        times.append(time.perf_counter() - started)
    return times


def visit_layers(page, label: str, signal, steps: int) -> None:
    """Step through the layers once so their derived views (clusters, UMAP) are computed and cached."""
    slider_steps(page, label, signal, steps)
    thumb = layer_slider(page, label)
    thumb.focus()
    for _ in range(steps):
        thumb.press("ArrowLeft")
    page.wait_for_timeout(500)
    wait_idle(page)


def server_pid(server: subprocess.Popen) -> int:
    """The Streamlit process (the child of py-spy when the server is being profiled)."""
    if os.environ.get("BENCH_PYSPY"):
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        return int(children[0]) if children else server.pid
    return server.pid


def browser_measurements(prompts: list[str], *, warm_runs: int, steps: int, results: dict, root: Path = ROOT) -> None:
    from playwright.sync_api import sync_playwright

    cache_dir = Path(tempfile.mkdtemp(prefix="token-geometry-latency-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "TOKEN_GEOMETRY_CACHE": str(cache_dir / "results.duckdb"), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
               "--server.port", str(port), "--server.headless", "true", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false"]
    if os.environ.get("BENCH_PYSPY"):  # profile the server: BENCH_PYSPY=out.txt (collapsed stacks, all threads)
        command = ["py-spy", "record", "--nonblocking", "--format", "raw", "--rate", "100", "--threads", "-o",
                   os.environ["BENCH_PYSPY"], "--", *command]
    log = open(cache_dir / "streamlit.log", "w")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(LONG)
        page = context.new_page()
        # (a) cold start
        launched = time.perf_counter()
        server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            while not healthy(url):
                if server.poll() is not None:
                    raise SystemExit(f"streamlit exited:\n{(cache_dir / 'streamlit.log').read_text()}")
                time.sleep(0.05)
            up = time.perf_counter()
            page.goto(url)
            wait_idle(page)
            painted = time.perf_counter()
            clicked = type_prompt_and_run(page, prompts[0])
            page.wait_for_selector(PLOT, timeout=LONG)
            charted = time.perf_counter()
            typing = clicked - painted
            results["cold"] = {"server_up": up - launched, "first_paint": painted - launched,
                               "run_to_chart": charted - clicked,
                               "total_without_typing": charted - launched - typing}
            wait_idle(page)

            # (b) warm runs: the Layers page for a new prompt, once the server is idle again (the UMAP
            # warm-up starts when the first result is on screen; a user reads it first). The page
            # draws the open tab only: Run → the ID chart, then each other chart tab: click → chart.
            results["settle"] = settle(server_pid(server))
            warm, computed, tabs = [], [], []
            for text in prompts[1:1 + warm_runs]:
                clicked = type_prompt_and_run(page, text)
                wait_charts(page, short(text), 1)
                line = page.get_by_text("saved to the cache").first
                line.wait_for(timeout=LONG)
                page.wait_for_selector(f'{APP}[data-test-script-state="notRunning"]', timeout=LONG)
                warm.append(time.perf_counter() - clicked)
                computed.append(float(re.search(r"Computed in ([0-9.]+) s", line.inner_text()).group(1)))
                for name, words in CHART_TABS.items():
                    started = time.perf_counter()
                    page.get_by_role("tab", name=name).click()
                    wait_charts(page, short(text), 1, also=words)
                    tabs.append(time.perf_counter() - started)
                    wait_idle(page)
                page.get_by_role("tab", name="Intrinsic dimension").click()
                wait_idle(page)
            results["warm"], results["warm_computed"], results["warm_tabs"] = warm, computed, tabs

            # (c) cached revisit in the browser: reload the URL (new session, prompt restored by its hash)
            last = prompts[warm_runs]
            revisit = []
            for _ in range(3):
                started = time.perf_counter()
                page.reload()
                wait_charts(page, short(last), 1)
                charted = time.perf_counter() - started
                page.get_by_text("from the DuckDB cache").first.wait_for()
                wait_idle(page)
                served = page.get_by_text("Served from the DuckDB cache in").first.inner_text()
                revisit.append((charted, served))
            results["revisit_browser"] = [seconds for seconds, _ in revisit]
            results["revisit_provenance"] = revisit[-1][1]

            # (c) again, inside a session: switch to the Layers page from the sidebar navigation (no
            # page load: the script runs and the remembered result is drawn) → the ID chart
            switches = []
            for _ in range(3):
                page.locator('[data-testid="stSidebarNav"] a', has_text="Tokens").first.click()
                page.get_by_text("Semantic clusters at layer").first.wait_for()
                page.wait_for_timeout(300)
                wait_idle(page)
                started = time.perf_counter()
                page.locator('[data-testid="stSidebarNav"] a', has_text="Layers").first.click()
                wait_charts(page, short(last), 1, also=ID_CHART)
                switches.append(time.perf_counter() - started)
                wait_idle(page)
            results["revisit_switch"] = switches

            # (d) layer slider steps on Tokens and UMAP, over layers visited (and cached) before
            query = page.url.split("?", 1)[1] if "?" in page.url else ""
            page.goto(f"{url}/tokens?{query}")
            wait_idle(page)
            tokens_signal = lambda layer: f"Semantic clusters at layer {layer}"  # noqa: E731
            visit_layers(page, "Layer", tokens_signal, steps)
            results["tokens_steps"] = slider_steps(page, "Layer", tokens_signal, steps)

            page.goto(f"{url}/umap?{query}")
            wait_idle(page)
            umap_signal = lambda layer: f"UMAP of the token cloud at layer {layer}"  # noqa: E731
            started = time.perf_counter()
            visit_layers(page, "Layer", umap_signal, steps)
            results["umap_first_visits"] = time.perf_counter() - started
            results["umap_steps"] = slider_steps(page, "Layer", umap_signal, steps)

            results["server_peak_rss_kib"] = peak_rss_kib(server_pid(server))
            results["server_store_bytes"] = sum(p.stat().st_size for p in cache_dir.glob("results.duckdb*"))
        except Exception:
            shot = ROOT / "artifacts" / "bench-app-latency-failure.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
            print(f"failed; screenshot of the page: {shot}", file=sys.stderr)
            raise
        finally:
            stop_server(server, profiled=bool(os.environ.get("BENCH_PYSPY")))
            browser.close()
            log.close()
    shutil.rmtree(cache_dir, ignore_errors=True)


def probe(long_prompt: str, short_prompts: list[str]) -> dict:
    work = Path(tempfile.mkdtemp(prefix="token-geometry-probe-"))
    try:
        (work / "prompts.json").write_text(json.dumps({"long": long_prompt, "short": short_prompts}))
        completed = subprocess.run([sys.executable, str(ROOT / "bench" / "_pipeline_probe.py"), str(work / "prompts.json"),
                                    str(work)], capture_output=True, text=True, check=False, cwd=ROOT)
        if completed.returncode != 0:
            raise SystemExit(f"the pipeline probe failed:\n{completed.stderr}")
        return json.loads(completed.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)


COMPARED = {"revisit_switch": "Layers page from the sidebar (same session)", "revisit_browser": "reload (new session)",
            "warm_tabs": "Layers tab click → chart", "tokens_steps": "Tokens slider step", "umap_steps": "UMAP slider step"}


def export_commit(commit: str) -> Path:
    """The tree of ``commit`` in a temporary folder, with this checkout's virtualenv linked in."""
    folder = Path(tempfile.mkdtemp(prefix=f"token-geometry-{commit[:8]}-"))
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    (folder / ".venv").symlink_to((ROOT / ".venv").resolve())
    return folder


def compare_with(commit: str, prompts: list[str], *, repeats: int, steps: int, this: str | None = None) -> None:
    """This tree (or the commit ``this``) and ``commit`` alternately, ``repeats`` sessions each;
    medians side by side."""
    old_root = export_commit(commit)
    new_root = export_commit(this) if this else ROOT
    runs: dict[str, dict[str, list[float]]] = {"this tree": {}, commit: {}}
    try:
        for repeat in range(repeats):
            for name, root in (("this tree", new_root), (commit, old_root))[:: 1 if repeat % 2 == 0 else -1]:
                results: dict = {}
                browser_measurements(prompts, warm_runs=1, steps=steps, results=results, root=root)
                for key in COMPARED:
                    runs[name].setdefault(key, []).extend(results[key])
                print(f"  repeat {repeat + 1}, {name}: " + ", ".join(
                    f"{key} {statistics.median(results[key]):.2f}" for key in COMPARED) + f" (load {machine().rsplit('load average ', 1)[1]})",
                    flush=True)
    finally:
        shutil.rmtree(old_root, ignore_errors=True)
        if this:
            shutil.rmtree(new_root, ignore_errors=True)
    print_comparison(runs, commit, f"medians over {repeats} sessions each, alternating")


def paired(commit: str, prompt: str, *, rounds: int, steps: int, this: str | None = None) -> None:
    """Both apps served at once (this tree or ``this``, and ``commit``), one browser page each, the
    same prompt analysed in each; then the measurements alternate between the two pages, round by
    round, so both meet the same load: the Layers page from the sidebar, a reload, and ``steps``
    slider steps there and back on the Tokens and the UMAP page (layers visited before)."""
    from playwright.sync_api import sync_playwright

    mine = Path(this) if this and Path(this).is_dir() else export_commit(this) if this else ROOT
    roots = {"this tree": mine, commit: export_commit(commit)}
    folders, servers, pages, logs = [], {}, {}, []
    tokens_signal = lambda layer: f"Semantic clusters at layer {layer}"  # noqa: E731
    umap_signal = lambda layer: f"UMAP of the token cloud at layer {layer}"  # noqa: E731
    times: dict[str, dict[str, list[float]]] = {name: {key: [] for key in COMPARED} for name in roots}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=CHROMIUM_ARGS)
        try:
            for name, root in roots.items():
                folder = Path(tempfile.mkdtemp(prefix="token-geometry-paired-"))
                folders.append(folder)
                port = free_port()
                env = {**os.environ, "TOKEN_GEOMETRY_CACHE": str(folder / "results.duckdb"), "PYTHONUNBUFFERED": "1"}
                logs.append(open(folder / "streamlit.log", "w"))
                servers[name] = subprocess.Popen(
                    [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1", "--server.port",
                     str(port), "--server.headless", "true", "--server.fileWatcherType", "none",
                     "--browser.gatherUsageStats", "false"], cwd=root, env=env, stdout=logs[-1], stderr=subprocess.STDOUT)
                while not healthy(f"http://127.0.0.1:{port}"):
                    time.sleep(0.1)
                context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=f"http://127.0.0.1:{port}")
                context.set_default_timeout(LONG)
                page = pages[name] = context.new_page()
                page.goto("/")
                wait_idle(page)
                type_prompt_and_run(page, prompt)
                wait_charts(page, short(prompt), 1)
                wait_idle(page)
            for name, page in pages.items():  # visit the layers once (their clusters and projections are cached)
                settle(servers[name].pid)
                query = page.url.split("?", 1)[1]
                for path, signal in (("tokens", tokens_signal), ("umap", umap_signal)):
                    page.goto(f"/{path}?{query}")
                    wait_idle(page)
                    slider_steps(page, "Layer", signal, steps)
                    slider_steps(page, "Layer", signal, steps, key="ArrowLeft")
                page.goto(f"/?{query}")
                wait_idle(page)
            for _ in range(rounds):
                for name, page in pages.items():
                    query = page.url.split("?", 1)[1]
                    page.locator('[data-testid="stSidebarNav"] a', has_text="Tokens").first.click()
                    page.get_by_text("Semantic clusters at layer").first.wait_for()
                    wait_idle(page)
                    started = time.perf_counter()
                    page.locator('[data-testid="stSidebarNav"] a', has_text="Layers").first.click()
                    wait_charts(page, short(prompt), 1, also=ID_CHART)
                    times[name]["revisit_switch"].append(time.perf_counter() - started)
                    wait_idle(page)
                    started = time.perf_counter()
                    page.reload()
                    wait_charts(page, short(prompt), 1, also=ID_CHART)
                    times[name]["revisit_browser"].append(time.perf_counter() - started)
                    wait_idle(page)
                    started = time.perf_counter()
                    page.get_by_role("tab", name="Neighbourhood overlap").click()
                    wait_charts(page, short(prompt), 1, also="Neighbourhood overlap")
                    times[name]["warm_tabs"].append(time.perf_counter() - started)
                    wait_idle(page)
                    page.get_by_role("tab", name="Intrinsic dimension").click()
                    wait_idle(page)
                    for path, signal, key in (("tokens", tokens_signal, "tokens_steps"), ("umap", umap_signal, "umap_steps")):
                        page.goto(f"/{path}?{query}")
                        wait_idle(page)
                        times[name][key] += slider_steps(page, "Layer", signal, steps)
                        times[name][key] += slider_steps(page, "Layer", signal, steps, key="ArrowLeft")
                    page.goto(f"/?{query}")
                    wait_idle(page)
                print(f"  round {_ + 1}: " + "; ".join(f"{name} " + ", ".join(
                    f"{key} {statistics.median(values):.2f}" for key, values in found.items() if values)
                    for name, found in times.items()) + f" (load {machine().rsplit('load average ', 1)[1]})", flush=True)
        finally:
            for server in servers.values():
                stop_server(server)
            browser.close()
            for log in logs:
                log.close()
            for folder in folders:
                shutil.rmtree(folder, ignore_errors=True)
            for name, root in roots.items():
                if root != ROOT and not (this and Path(this).is_dir() and root == Path(this)):
                    shutil.rmtree(root, ignore_errors=True)
    print_comparison(times, commit, f"paired medians over {rounds} rounds")


def print_comparison(times: dict[str, dict[str, list[float]]], commit: str, what: str) -> None:
    """Each compared measurement: the median of this tree vs ``commit`` and their ratio."""
    print(f"{what} (seconds): this tree vs {commit}, ratio")
    for key, label in COMPARED.items():
        new, old = statistics.median(times["this tree"][key]), statistics.median(times[commit][key])
        print(f"  {label}: {new:.3f} vs {old:.3f} = {new / old:.2f}x  "
              f"(this tree {summary(times['this tree'][key])}; {commit} {summary(times[commit][key])})")


def verdict(value: float, goal: float) -> str:
    return f"goal ≤ {goal:g}: {'met' if value <= goal else 'NOT met'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm-runs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=4, help="slider steps measured per page")
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--skip-probe", action="store_true")
    parser.add_argument("--against", metavar="COMMIT", help="compare with this commit's app, alternating sessions")
    parser.add_argument("--repeats", type=int, default=3, help="sessions per tree with --against")
    parser.add_argument("--paired", type=int, metavar="ROUNDS", help="with --against: serve both apps at once and "
                                                                       "alternate the measurements, ROUNDS rounds")
    parser.add_argument("--this", metavar="COMMIT", help="with --against: serve this commit (or folder) instead of the "
                                                          "working tree (so that edits made meanwhile do not count)")
    args = parser.parse_args()

    print(f"machine: {machine()}")
    tokenizer = bundled_tokenizer()
    prompts = exact_prompts(512, args.warm_runs + 3, tokenizer=tokenizer)
    long_prompt = exact_prompts(1024, 1, tokenizer=tokenizer, prompt_set="python-stdlib")[0]

    if args.against and args.paired:
        paired(args.against, prompts[0], rounds=args.paired, steps=args.steps, this=args.this)
        print(f"load average at the end: {machine().rsplit('load average ', 1)[1]}")
        return
    if args.against:
        compare_with(args.against, prompts, repeats=args.repeats, steps=args.steps, this=args.this)
        print(f"load average at the end: {machine().rsplit('load average ', 1)[1]}")
        return
    results: dict = {}
    if not args.skip_browser:
        browser_measurements(prompts, warm_runs=args.warm_runs, steps=args.steps, results=results)
        cold = results["cold"]
        print(f"(a) cold start → first Layers chart, 512 tokens: {cold['total_without_typing']:.1f} s "
              f"({verdict(cold['total_without_typing'], GOALS['cold'])}); server up {cold['server_up']:.1f} s, "
              f"first paint {cold['first_paint']:.1f} s, Run → chart {cold['run_to_chart']:.1f} s "
              "(model load + first forward pass + geometry + store + drawing)")
        warm = results["warm"]
        print(f"(b) warm run → the Layers chart, 512 tokens: {summary(warm)} ({verdict(statistics.median(warm), GOALS['warm'])}); "
              f"measured once the server was idle again, {results['settle']:.0f} s after the first chart "
              "(UMAP's numba warm-up runs then); of which model + geometry (the page's 'Computed in'): "
              f"median {statistics.median(results['warm_computed']):.1f} s")
        tabs = results["warm_tabs"]
        print(f"    then each other chart tab (overlap, cosine, scale), click → chart: {summary(tabs)}; Run → all four "
              f"charts seen: {statistics.median(warm) + len(CHART_TABS) * statistics.median(tabs):.2f} s")
        revisit = results["revisit_browser"]
        print(f"(c) cached revisit in the browser (reload → ID chart, new session): {summary(revisit)}; "
              f"the page says: {results['revisit_provenance']!r}")
        print(f"(c) cached revisit in a session: Layers page from the sidebar navigation → ID chart: "
              f"{summary(results['revisit_switch'])} ({verdict(statistics.median(results['revisit_switch']), GOALS['revisit'])})")
        for name in ("tokens", "umap"):
            steps = results[f"{name}_steps"]
            print(f"(d) {name.capitalize()} page, layer slider step (cached layer): {summary(steps)} "
                  f"({verdict(statistics.median(steps), GOALS['step'])})")
        print(f"    (first visit of {args.steps} UMAP layers, computing and caching their projections: "
              f"{results['umap_first_visits']:.1f} s)")
        print(f"(e) Streamlit server peak RSS after (a)–(d): {results['server_peak_rss_kib'] / 2**20:.2f} GiB")
        print(f"(f) server's DuckDB file after {1 + args.warm_runs} analyses and the derived views: "
              f"{results['server_store_bytes'] / 2**20:.1f} MiB")
    if not args.skip_probe:
        found = probe(long_prompt, prompts[-2:])
        hit = found["hit_seconds"]
        print(f"(c) in-process cache hit, pipeline.analyse: {1000 * hit:.1f} ms; + building and serialising the "
              f"Layers figures: {1000 * found['hit_to_chart_json_seconds']:.0f} ms "
              f"({verdict(found['hit_to_chart_json_seconds'], GOALS['revisit'])}); figure JSON bytes "
              f"{found['layers_figure_json_bytes']}, Tokens heatmap {found['tokens_heatmap_json_bytes']}")
        peak = found["peak_rss_kib"] / 2**20
        print(f"(e) peak RSS, analysing {found['long_tokens']} tokens with the bundled model in a fresh process: "
              f"{peak:.2f} GiB ({verdict(peak, GOALS['rss_gib'])}); that analysis took {found['long_seconds']:.1f} s "
              "including the model load")
        empty, long_size, short_sizes = found["store_empty_bytes"], found["store_after_long_bytes"], found["store_after_short_bytes"]
        per_short = (short_sizes[-1] - long_size) / len(short_sizes)
        print(f"(f) DuckDB file: empty {empty / 2**20:.2f} MiB; + one 1024-token prompt {(long_size - empty) / 2**20:.2f} MiB; "
              f"+ {len(short_sizes)} 512-token prompts {per_short / 2**20:.2f} MiB each on average "
              f"(sizes {[round(s / 2**20, 2) for s in short_sizes]} MiB)")
    print(f"load average at the end: {machine().rsplit('load average ', 1)[1]}")


if __name__ == "__main__":
    main()
