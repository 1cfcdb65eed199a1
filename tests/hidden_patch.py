"""Make the pipeline see altered hidden states (duplicates, overflow) without a special model."""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np


def patch_hidden_states(monkeypatch, change: Callable[[np.ndarray], np.ndarray]) -> None:
    """Every model run of ``pipeline.runner`` returns ``change(hidden_states)`` (on a copy)."""
    import pipeline.runner as runner

    real = runner.extract_batch

    def patched(*args, **kwargs):
        return [dataclasses.replace(run, hidden_states=change(run.hidden_states.copy())) for run in real(*args, **kwargs)]

    monkeypatch.setattr(runner, "extract_batch", patched)
