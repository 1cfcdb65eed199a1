"""Four dashboard sessions analysing different prompts at once while the batch CLI writes to the
same store: every result lands exactly once, nothing is lost, no session fails.

Sessions of one Streamlit server are threads of one process sharing one store connection (as in
ui/resources.py); the CLI is a separate process, which finds the file held and writes a shard that
is merged afterwards (cache/shards.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from cache import merge_shards, open_store, spec_key
from lm import load_model, resolve_model
from pipeline import Request, analyse, build_spec

ROOT = Path(__file__).resolve().parents[2]
SESSION_PROMPTS = [
    "The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun.",
    "Beautiful is better than ugly. Explicit is better than implicit. Simple is better than complex.",
    "Geometry of tokens changes with depth: intrinsic dimension rises, then falls again.",
    "def add(a, b):\n    return a + b\n\nprint(add(2, 3))\nprint(add(4, 5))",
]
CLI_PROMPTS = [
    "Flat is better than nested. Sparse is better than dense. Readability counts, always and everywhere.",
    "Special cases aren't special enough to break the rules, although practicality beats purity here.",
    "Errors should never pass silently, unless explicitly silenced by the quick brown fox today.",
]


def test_four_sessions_and_the_cli_lose_and_duplicate_nothing(tiny_model_dir, tmp_path, isolated_store):
    store = open_store(isolated_store)  # the dashboard process holds the file from here on
    prompts_file = tmp_path / "cli.jsonl"
    prompts_file.write_text("".join(json.dumps({"id": f"c{i}", "text": t}) + "\n" for i, t in enumerate(CLI_PROMPTS)))
    cli = subprocess.Popen(
        [sys.executable, "-m", "cli", "run", "--model", str(tiny_model_dir), "--prompts", str(prompts_file),
         "--shuffle", "0,1", "--max-tokens", "64", "--device", "cpu", "--store", str(isolated_store)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    loaded = load_model(resolve_model(str(tiny_model_dir)))  # one model shared by the sessions, as st.cache_resource does
    errors: list[BaseException] = []
    outcomes = []

    def session(prompt: str) -> None:
        try:
            outcomes.append(analyse(Request(model=str(tiny_model_dir), prompt=prompt), store=store,
                                    loader=lambda spec, dtype: loaded))
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=session, args=(prompt,)) for prompt in SESSION_PROMPTS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    stdout, stderr = cli.communicate(timeout=300)

    assert not errors, errors
    assert cli.returncode == 0, stderr
    assert len(outcomes) == 4 and not any(o.from_cache for o in outcomes)

    report = merge_shards(store)
    assert not report.busy and not report.skipped
    session_keys = {spec_key(build_spec(Request(model=str(tiny_model_dir), prompt=p))[1]) for p in SESSION_PROMPTS}
    cli_keys = {spec_key(build_spec(Request(model=str(tiny_model_dir), prompt=t, max_tokens=64, shuffle_index=s,
                                            seed=0, with_logits_id=True))[1])
                for t in CLI_PROMPTS for s in (0, 1)}
    rows = store.connection.execute("SELECT key, count(*) FROM results GROUP BY key").fetchall()
    counts = dict(rows)
    assert session_keys <= set(counts) and cli_keys <= set(counts), "a result was lost"
    assert all(count == 1 for count in counts.values()), "a result was duplicated"
    assert set(counts) == session_keys | cli_keys
    for key in session_keys | cli_keys:
        assert store.get(key) is not None  # every stored result reads back whole
    members = store.connection.execute("SELECT count(*), count(DISTINCT passage_id || key) FROM corpus_items").fetchone()
    assert members[0] == members[1] == len(cli_keys)
