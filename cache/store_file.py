"""What lies at a store path, decided before DuckDB touches it.

The rule (nothing lost, nothing destroyed): the store opens only

* a path where nothing exists yet (a new store is created there), or
* a regular file whose header says it is a DuckDB database: bytes 8–11 of every DuckDB file are
  the magic ``DUCK`` (DuckDB's ``MainHeader::MAGIC_BYTES``, after an 8-byte checksum).

Anything else — a text file, an empty file, a folder, a device, a FIFO, a dangling symbolic link,
a path under a regular file — is refused with a message and left untouched. Only a file that is
positively a DuckDB database by its header and that DuckDB then reports as damaged is ever moved
aside (see :func:`cache.store.open_store`), never deleted, and its write-ahead log goes with it.

Whether the store can be written is decided here too, from the file's and its folder's access
rights (``os.access``, which also sees read-only mounts and immutable files): a store that cannot
be written is opened read-only, never treated as damaged.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cache.errors import StoreRefusedError

DUCKDB_MAGIC = b"DUCK"
MAGIC_OFFSET = 8

# DuckDB's own words for a file it recognises but cannot read back: only these count as damage.
# Any other failure (permissions, a newer storage version, a lock) leaves the file where it is.
_DAMAGE_MARKERS = ("corrupt database file", "could not read enough bytes", "checksum")


@dataclass(frozen=True)
class StoreFile:
    """A store path that may be opened.

    exists:    a DuckDB file is there (False: a new store will be created).
    writable:  the file (or, for a new store, its folder) can be written, and so can the folder
               that holds the write-ahead log ``<name>.wal``.
    why_read_only: the reason when ``writable`` is False, for the notice.
    """

    path: Path
    exists: bool
    writable: bool
    why_read_only: str = ""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def has_duckdb_header(path: Path) -> bool:
    """True if ``path`` is a regular file whose bytes 8–11 are ``DUCK``. Never blocks (a FIFO is
    opened non-blocking and then rejected by ``fstat``); raises OSError if it cannot be read."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        header = os.pread(fd, MAGIC_OFFSET + len(DUCKDB_MAGIC), 0)
    finally:
        os.close(fd)
    return header[MAGIC_OFFSET:] == DUCKDB_MAGIC


def is_damage(message: str) -> bool:
    """Whether a DuckDB error message says the database file itself is damaged."""
    text = message.lower()
    return any(marker in text for marker in _DAMAGE_MARKERS)


def _folder_problem(folder: Path) -> str:
    """Why the folder that will hold the store (and its ``.wal``) cannot be written ("" if it can)."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} is not writable for this user"
    return ""


def inspect_store_path(path: str | Path) -> StoreFile:
    """Decide what ``path`` is, without changing anything; :class:`StoreRefusedError` if it is
    anything but a missing path or a regular DuckDB file."""
    path = Path(path)
    try:
        link = os.lstat(path)
    except FileNotFoundError:
        link = None
    except NotADirectoryError:
        raise StoreRefusedError(f"The cache path {path} lies under a file that is not a folder; choose another "
                                "path.") from None
    except OSError as error:
        raise StoreRefusedError(f"The cache path {path} cannot be examined: {error.strerror or error}.") from None
    if link is None:
        return _new_store(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise StoreRefusedError(f"The cache path {path} is a symbolic link to {os.readlink(path)}, which does not "
                                "exist; it was left as it is. Choose another path.") from None
    except OSError as error:
        raise StoreRefusedError(f"The cache path {path} cannot be examined: {error.strerror or error}.") from None
    if not stat.S_ISREG(info.st_mode):
        raise StoreRefusedError(f"The cache path {path} is {_kind(info.st_mode)}, not a DuckDB file; it was left "
                                "as it is. Choose a file name ending in .duckdb.")
    try:
        ours = has_duckdb_header(path)
    except OSError as error:
        raise StoreRefusedError(f"The cache file {path} cannot be read ({error.strerror or error}); it was left "
                                "as it is.") from None
    if not ours:
        what = "is empty" if info.st_size == 0 else "is not a DuckDB database (its header says otherwise)"
        raise StoreRefusedError(f"The cache file {path} {what}; it was left as it is. Choose another file, or move "
                                "this one away yourself if it is really a cache.")
    problem = "" if os.access(path, os.W_OK) else f"the file {path} is read-only for this user"
    problem = problem or _folder_problem(path.parent)
    return StoreFile(path=path, exists=True, writable=not problem, why_read_only=problem)


def _new_store(path: Path) -> StoreFile:
    """A path with nothing at it: its nearest existing ancestor must be a folder."""
    ancestor = path.parent
    while not ancestor.exists():
        if ancestor.is_symlink():
            raise StoreRefusedError(f"The cache path {path} goes through a dangling symbolic link ({ancestor}).")
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise StoreRefusedError(f"The cache path {path} lies under {ancestor}, which is a file, not a folder; "
                                "choose another path.")
    problem = _folder_problem(ancestor)
    return StoreFile(path=path, exists=False, writable=not problem, why_read_only=problem)


def create_parent(path: Path) -> None:
    """Create the folders above a new store; :class:`StoreRefusedError` if that is not possible."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = "a part of it is a file" if error.errno in (errno.ENOTDIR, errno.EEXIST) else error.strerror
        raise StoreRefusedError(f"Cannot create the folder {path.parent} for the cache: {reason or error}.") from None
