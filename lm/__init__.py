"""Language-model layer: registry, offline loading, hidden states and per-token loss.

Returns numpy arrays and frozen dataclasses, never Streamlit objects. torch and transformers are
imported lazily inside functions so that importing :mod:`lm` is cheap.
"""

import os as _os

# torch's OpenMP threads busy-wait for each other at every step of a forward pass. When another
# process holds one of a small machine's cores, each step then waits for a descheduled thread:
# on 2 cores a 512-token forward pass took 3–20 s instead of 1.2 s (2.2 s with passive waiting,
# and the same 1.2 s as before when the machine is idle). An explicit setting wins. It must be in
# the environment before torch is imported (libgomp reads it when it loads), hence here.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from lm.bundled import BUNDLED_MODELS, DEFAULT_MODEL
from lm.errors import LMError, ModelLoadError, ModelNotFoundError, PromptError
from lm.extract import Extraction, extract, tokenize
from lm.loading import DTYPES, LoadedModel, load_model, model_fingerprint
from lm.registry import ModelSpec, resolve_model

__all__ = [
    "BUNDLED_MODELS", "DEFAULT_MODEL", "DTYPES", "Extraction", "LMError", "LoadedModel", "ModelLoadError",
    "ModelNotFoundError", "ModelSpec", "PromptError", "extract", "load_model", "model_fingerprint", "resolve_model", "tokenize",
]
