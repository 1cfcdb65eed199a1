"""Where converted models are kept on disk.

It defaults to a per-user cache folder (platformdirs); ``TOKEN_GEOMETRY_MODEL_DIR`` moves it.
"""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_cache_dir

import settings

APP_NAME = "token-geometry"


def model_cache_dir() -> Path:
    """Folder for models converted once from GGUF to safetensors."""
    return settings.current().model_dir or Path(user_cache_dir(APP_NAME)) / "models"

