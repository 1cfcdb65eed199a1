"""Where the result store lives: a per-user data folder, ``TOKEN_GEOMETRY_CACHE``, or a path typed
into the app's *Cache file* option (checked by :func:`checked_store_choice`)."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from platformdirs import user_data_dir

import settings

from cache.errors import StoreRefusedError

STORE_SUFFIX = ".duckdb"


def default_store_path() -> Path:
    """``TOKEN_GEOMETRY_CACHE`` (:mod:`settings`), else results.duckdb in the per-user data folder."""
    return settings.current().cache_path or Path(user_data_dir("token-geometry")) / "results.duckdb"


def server_user() -> str:
    """The account the program runs as (whose folders a typed cache path may use)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def checked_store_choice(text: str) -> Path:
    """A cache path typed by a visitor of the app, accepted only if it ends in ``.duckdb`` and lies
    in an existing folder owned by the account the server runs as (symbolic links resolved), so a
    visitor cannot point the store at another file or at someone else's folder; the file itself is
    then checked by :func:`cache.store_file.inspect_store_path` when it is opened.
    :class:`StoreRefusedError` says which rule failed."""
    path = Path(text.strip()).expanduser()
    if path.suffix.lower() != STORE_SUFFIX:
        raise StoreRefusedError(f"The cache file must end in {STORE_SUFFIX}; {text.strip()!r} does not.")
    try:
        folder = path.parent.resolve(strict=True)
        owner = folder.stat().st_uid
    except (OSError, RuntimeError):
        raise StoreRefusedError(f"The folder of {text.strip()!r} does not exist (or cannot be examined); the cache "
                                "file must go into an existing folder.") from None
    if not folder.is_dir():
        raise StoreRefusedError(f"{path.parent} is not a folder.")
    if hasattr(os, "getuid") and owner != os.getuid():
        raise StoreRefusedError(f"The folder {folder} is not owned by {server_user()}, the account this app runs "
                                "as; choose a folder of that account.")
    return folder / path.name
