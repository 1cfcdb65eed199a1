"""Default location of the result store: a per-user data folder, or ``TOKEN_GEOMETRY_CACHE``."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir


def default_store_path() -> Path:
    return Path(os.environ.get("TOKEN_GEOMETRY_CACHE") or Path(user_data_dir("token-geometry")) / "results.duckdb")
