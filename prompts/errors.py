"""Named errors of the prompts package. Every message says what was wrong and how to fix it.

All derive from ``PromptSetError`` (a ``ValueError``), so callers can catch one class and show
``str(error)`` to the user.
"""

from __future__ import annotations


class PromptSetError(ValueError):
    """Base class: a prompt set could not be built."""


# --- registry / parameters -------------------------------------------------------------------


class UnknownPromptSetError(PromptSetError):
    """The name is not a registered prompt set."""


class PromptSetUnavailableError(PromptSetError):
    """The set is registered but the package its text comes from is not installed."""


class InvalidParameterError(PromptSetError):
    """A parameter such as ``target_tokens`` or ``limit`` has an unusable value."""


class SourceChangedError(PromptSetError):
    """A bundled text's source (a package or standard-library module) no longer holds it."""


# --- uploads: the file as a whole ------------------------------------------------------------


class UnsupportedFormatError(PromptSetError):
    """The file's extension is not one we can read (.txt or .jsonl)."""


class FileTooLargeError(PromptSetError):
    """The file is over the size limit."""


class EmptyFileError(PromptSetError):
    """The file has no bytes, or only whitespace."""


class BinaryFileError(PromptSetError):
    """The file looks like binary data (NUL bytes, many control characters), not text."""


class NotUtf8Error(PromptSetError):
    """The bytes are not valid UTF-8. ``offset`` is the position of the first bad byte."""

    def __init__(self, message: str, *, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


class NoUsablePassagesError(PromptSetError):
    """Every passage in the file was skipped (empty or too short). ``skipped`` has the counts."""

    def __init__(self, message: str, *, skipped: dict[str, int]) -> None:
        super().__init__(message)
        self.skipped = dict(skipped)


# --- uploads: one JSONL line ------------------------------------------------------------------


class JsonlLineError(PromptSetError):
    """Base class for a problem on one JSONL line. ``line`` is 1-based."""

    def __init__(self, message: str, *, line: int) -> None:
        super().__init__(message)
        self.line = line


class InvalidJsonLineError(JsonlLineError):
    """The line is not valid JSON, or not a JSON object."""


class MissingTextFieldError(JsonlLineError):
    """The line's object has no ``text`` field."""


class TextFieldTypeError(JsonlLineError):
    """The line's ``text`` field is not a string."""


class InvalidIdError(JsonlLineError):
    """The line's ``id`` field is not a string or integer, or repeats an earlier line's id."""
