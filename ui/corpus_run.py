"""Small corpus runs started from the Corpus page, and the CLI command for large ones."""

from __future__ import annotations

import shlex

import streamlit as st

from pipeline.corpus import CorpusConfig, plan_corpus, run_corpus
from ui.resources import loaded_model

PAGE_LIMIT = 20  # prompts; larger runs belong to the CLI


def cli_command(*, model: str, prompts: str, shuffles: list[int], seeds: int, max_tokens: int, limit: int,
                store_path: str) -> str:
    parts = ["python", "-m", "cli", "run", "--model", model, "--prompts", prompts,
             "--shuffle", ",".join(map(str, shuffles)), "--seeds", str(seeds), "--max-tokens", str(max_tokens),
             "--limit", str(limit), "--store", store_path]
    return " ".join(shlex.quote(part) for part in parts)


def run_small_corpus(prompt_set, config: CorpusConfig, *, shuffles: list[int], seeds: int, store) -> str:
    """Run a small corpus in the app with a progress bar; returns a one-line summary."""
    units = plan_corpus(prompt_set, config, shuffles=shuffles, seeds=seeds)
    bar = st.progress(0.0, text=f"0 of {len(units)} runs")

    def progress(report) -> None:
        rate = f", {60 * report.prompts_per_second:.1f} prompts/min" if report.prompts_per_second == report.prompts_per_second else ""
        eta = f", about {report.eta_seconds:.0f} s left" if report.eta_seconds == report.eta_seconds else ""
        bar.progress(report.fraction, text=f"{report.done} of {report.total} runs{rate}{eta}")

    summary = run_corpus(units, config, sink=store, loader=lambda spec, dtype: loaded_model(spec, dtype),
                         progress=progress)
    failures = f"; {summary.failed} could not be analysed" if summary.failed else ""
    return (f"{summary.computed} runs computed and {summary.skipped} already in the cache "
            f"in {summary.seconds:.0f} s{failures}.")
