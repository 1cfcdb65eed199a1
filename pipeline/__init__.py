"""Ties lm + geometry + cache together: ``analyse(request) -> Outcome``, cache first."""

from pipeline.runner import MIN_TOKENS, Request, analyse, build_spec
from pipeline.sweep import shuffle_sweep, sweep_requests
from pipeline.analysis import Analysis, Outcome
from pipeline.errors import PipelineError
from pipeline.spec import ANALYSIS_VERSION, AnalysisSpec

__all__ = ["ANALYSIS_VERSION", "MIN_TOKENS", "Analysis", "AnalysisSpec", "Outcome", "PipelineError", "Request", "analyse", "build_spec", "shuffle_sweep", "sweep_requests"]
