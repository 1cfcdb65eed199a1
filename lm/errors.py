"""Named errors raised by the language-model layer; each message says what to do."""

from __future__ import annotations


class LMError(Exception):
    """Base class for errors of the lm package."""


class ModelNotFoundError(LMError):
    """The model id or path does not point to anything that can be loaded offline."""


class ModelLoadError(LMError):
    """The model exists but could not be loaded (corrupt file, unsupported architecture, …)."""


class PromptError(LMError):
    """The prompt cannot be analysed (empty, too short, …)."""
