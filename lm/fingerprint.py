"""Model fingerprints: a short string that changes whenever the weights change.

They key the result cache, so they must be cheap and stable:
files are identified by size plus a SHA-256 of their first and last 4 MiB (a full hash of a
multi-GB checkpoint would cost seconds on every load); hub models by their snapshot commit.
"""

from __future__ import annotations

import hashlib
import stat
from functools import lru_cache
from pathlib import Path

_SAMPLE = 4 * 2**20


@lru_cache(maxsize=64)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as handle:
        digest.update(handle.read(_SAMPLE))
        if size > 2 * _SAMPLE:
            handle.seek(size - _SAMPLE)
        digest.update(handle.read(_SAMPLE))
    return digest.hexdigest()


def file_fingerprint(path: Path) -> str:
    """Size + SHA-256 of the first and last 4 MiB of a file (memoised per size and mtime).
    Only a regular file is read: opening a named pipe would block for ever."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise OSError(f"{path} is not a regular file")
    return _file_digest(str(path), info.st_size, info.st_mtime_ns)


def folder_fingerprint(folder: Path) -> str:
    """Fingerprint of a Hugging Face model folder: its config and every weight file."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.name == "config.json" or path.suffix in {".safetensors", ".gguf"}:
            digest.update(path.name.encode())
            digest.update(file_fingerprint(path).encode())
    return digest.hexdigest()
