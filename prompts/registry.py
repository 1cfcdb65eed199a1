"""The bundled prompt sets: what exists, and loading one at a chosen passage length."""

from __future__ import annotations

from numbers import Integral

from prompts.errors import InvalidParameterError, PromptSetUnavailableError, UnknownPromptSetError
from prompts.selection import select_passages
from prompts.sources import ALL_SOURCES, TextSource
from prompts.tokens import approx_token_count
from prompts.types import CountTokens, PromptSet, PromptSetInfo

MIN_TARGET_TOKENS = 8
MAX_TARGET_TOKENS = 131_072


def list_prompt_sets() -> tuple[PromptSetInfo, ...]:
    """Describe every bundled prompt set, installed or not (cheap: nothing is read or imported).

    Returns:
        One ``PromptSetInfo`` per set, in a fixed order; ``available`` says whether its package
        is installed and ``install_hint`` how to install it.
    """
    infos = []
    for source in ALL_SOURCES:
        available = source.is_available()
        infos.append(
            PromptSetInfo(
                name=source.name,
                description=source.description,
                kind=source.kind,
                package=source.package,
                available=available,
                version=source.version() if available else None,
                install_hint=source.install_hint,
            )
        )
    return tuple(infos)


def _source(name: str) -> TextSource:
    for source in ALL_SOURCES:
        if source.name == name:
            if not source.is_available():
                raise PromptSetUnavailableError(
                    f"prompt set {name!r} needs the package {source.package!r}, which is not "
                    f"installed; run `{source.install_hint}` (see requirements.txt)."
                )
            return source
    known = ", ".join(repr(s.name) for s in ALL_SOURCES)
    raise UnknownPromptSetError(
        f"there is no bundled prompt set named {name!r}; choose one of {known} "
        "(list_prompt_sets() describes them), or upload a .txt/.jsonl file."
    )


def _is_int(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _check(target_tokens: object, min_tokens: object, limit: object, seed: object,
           count_tokens: object) -> None:
    if not _is_int(target_tokens) or not MIN_TARGET_TOKENS <= target_tokens <= MAX_TARGET_TOKENS:
        raise InvalidParameterError(
            f"target_tokens must be an int from {MIN_TARGET_TOKENS} to {MAX_TARGET_TOKENS}, got "
            f"{target_tokens!r}; typical lengths are 256, 512 or 1024."
        )
    if min_tokens is not None and (not _is_int(min_tokens) or not 0 <= min_tokens <= target_tokens):
        raise InvalidParameterError(
            f"min_tokens must be None or an int from 0 to target_tokens ({target_tokens}), "
            f"got {min_tokens!r}."
        )
    if limit is not None and (not _is_int(limit) or limit < 1):
        raise InvalidParameterError(f"limit must be None (all passages) or an int >= 1, got {limit!r}.")
    if seed is not None and not _is_int(seed):
        raise InvalidParameterError(f"seed must be None (corpus order) or an int, got {seed!r}.")
    if count_tokens is not None and not callable(count_tokens):
        raise InvalidParameterError(
            f"count_tokens must be a callable str -> int, got {type(count_tokens).__name__}."
        )


def default_min_tokens(target_tokens: int) -> int:
    """Returns the default shortest passage kept: three quarters of the target length."""
    return (3 * target_tokens) // 4


def load_prompt_set(
    name: str,
    *,
    target_tokens: int = 512,
    count_tokens: CountTokens | None = None,
    limit: int | None = None,
    seed: int | None = None,
    min_tokens: int | None = None,
) -> PromptSet:
    """Load a bundled prompt set cut into passages of about ``target_tokens`` tokens.

    Args:
        name: a name from ``list_prompt_sets()``, e.g. ``"sotu"``, ``"bible-web"``,
            ``"python-stdlib"``.
        target_tokens: the most tokens a passage may have, by ``count_tokens``.
        count_tokens: the model's token counter; ``None`` uses ``approx_token_count``.
        limit: keep only the first ``limit`` passages (``None``: all; a whole set is thousands
            of passages, so the app and the CLI should pass a limit).
        seed: ``None`` for corpus order; an int for a reproducible sample spread over
            documents (see ``prompts.selection``).
        min_tokens: shortest passage kept (default ``default_min_tokens(target_tokens)``);
            shorter ones, mostly document tails, are skipped and counted.

    Returns:
        A frozen ``PromptSet``: the same arguments (and the same package versions) always give
        the same passages, ids and order.

    Raises:
        UnknownPromptSetError, PromptSetUnavailableError, InvalidParameterError.
    """
    _check(target_tokens, min_tokens, limit, seed, count_tokens)
    source = _source(name)
    return select_passages(
        source,
        target_tokens=int(target_tokens),
        min_tokens=default_min_tokens(target_tokens) if min_tokens is None else int(min_tokens),
        count_tokens=count_tokens or approx_token_count,
        limit=limit,
        seed=seed,
    )
