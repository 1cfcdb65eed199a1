"""Errors as exceptions: a batch keeps going past a prompt it cannot analyse (each item an
Attempt), a single analysis raises, and the pipeline's rules raise pipeline errors."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lm import LMError, PromptError
from pipeline.corpus import CorpusConfig, plan_corpus
from pipeline.errors import (Attempt, CorpusError, ExecutionError, PipelineError, StatisticError,
                             UnanalysablePromptError)
from pipeline.runner import Request, analyse, analyse_many
from pipeline.sweep import estimator_values
from tests.unprivileged import ROOT

TEXT = ("Beautiful is better than ugly. Explicit is better than implicit. Simple is better than complex. "
        "The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun.")


def test_a_batch_keeps_going_past_a_prompt_it_cannot_analyse(tiny_model_dir):
    requests = [Request(model=str(tiny_model_dir), prompt=prompt) for prompt in ("Hi there", TEXT)]
    short, good = analyse_many(requests, store=None)
    assert isinstance(short, Attempt) and short.failed and isinstance(short.error, UnanalysablePromptError)
    with pytest.raises(UnanalysablePromptError, match="at least"):
        short.get()
    assert not good.failed and good.get().analysis.n_prompt_tokens > 9


def test_a_single_analysis_raises_an_error_that_is_also_the_lm_prompt_error(tiny_model_dir):
    with pytest.raises(UnanalysablePromptError) as caught:
        analyse(Request(model=str(tiny_model_dir), prompt="   "), store=None)
    assert isinstance(caught.value, PromptError) and isinstance(caught.value, LMError)
    assert isinstance(caught.value, PipelineError) and "empty" in str(caught.value)


def test_requests_that_cannot_share_a_forward_pass_raise_an_execution_error(tiny_model_dir):
    requests = [Request(model=str(tiny_model_dir), prompt=TEXT, dtype=dtype) for dtype in ("float32", "float16")]
    with pytest.raises(ExecutionError, match="one model, dtype and device"):
        analyse_many(requests, store=None)


def test_pipeline_rules_raise_pipeline_errors(tiny_model_dir):
    with pytest.raises(CorpusError) as caught:
        plan_corpus([], CorpusConfig(model=str(tiny_model_dir)), corpus="c", shuffles=[-1])
    assert isinstance(caught.value, PipelineError)
    with pytest.raises(StatisticError, match="unknown estimator"):
        estimator_values(None, "nope")


def _raised_builtins(package: str) -> list[str]:
    found = []
    for path in sorted((ROOT / package).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name) \
                    and node.exc.func.id in ("ValueError", "RuntimeError", "Exception"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.exc.func.id}")
    return found


@pytest.mark.parametrize("package", ["pipeline", "cache", "prompts"])
def test_no_bare_value_or_runtime_error_leaves_the_package(package):
    assert _raised_builtins(package) == []
