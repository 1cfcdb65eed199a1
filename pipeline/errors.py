"""Named errors of the pipeline: one of its rules refused what was asked, and the message says
what to change (the app shows it as it is, the CLI prints it; never a traceback).

Each error is also the kind its callers caught before it had a name of its own (``ValueError``
for an argument out of range, :class:`lm.PromptError` for a prompt that cannot be analysed), so
code written against that kind keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from lm.errors import PromptError

T = TypeVar("T")


class PipelineError(Exception):
    """Base class: a rule of the pipeline refused the request."""


class UnanalysablePromptError(PipelineError, PromptError):
    """The prompt cannot be analysed as asked: empty, fewer tokens than the estimators need, a
    shuffle index too large for its length, a layer without measurable geometry."""


class CorpusError(PipelineError, ValueError):
    """A corpus cannot be planned or selected."""


class CheckpointError(PipelineError, ValueError):
    """A checkpoint series cannot be read (missing files, unknown step)."""


class StatisticError(PipelineError, ValueError):
    """An unknown statistic or estimator, or a layer that a result does not have."""


class ExperimentError(PipelineError, ValueError):
    """A model-level experiment (steering transfer, model comparison, layer maps, LoRA sweep)
    cannot run with these settings or these models."""


class ExecutionError(PipelineError, RuntimeError):
    """A batch cannot run as planned: an execution engine that cannot start or whose task failed,
    requests that cannot share one forward pass, a result whose key differs from the planned one."""


@dataclass(frozen=True)
class Attempt(Generic[T]):
    """One item of a batch that keeps going when one of its prompts cannot be analysed (a corpus
    run records the failure and goes on): the item's value, or the error that stopped it."""

    value: T | None = None
    error: PromptError | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    def get(self) -> T:
        """The value; raises the item's error if it failed."""
        if self.error is not None:
            raise self.error
        assert self.value is not None
        return self.value
