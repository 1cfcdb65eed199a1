"""Language-model layer: registry, offline loading, hidden states and per-token loss.

Returns numpy arrays and frozen dataclasses, never Streamlit objects. torch and transformers are
imported lazily inside functions so that importing :mod:`lm` is cheap.
"""

from lm.bundled import BUNDLED_MODELS, DEFAULT_MODEL
from lm.errors import LMError, ModelLoadError, ModelNotFoundError, PromptError
from lm.extract import Extraction, extract, tokenize
from lm.loading import DTYPES, LoadedModel, load_model, model_fingerprint
from lm.registry import ModelSpec, resolve_model

__all__ = [
    "BUNDLED_MODELS", "DEFAULT_MODEL", "DTYPES", "Extraction", "LMError", "LoadedModel", "ModelLoadError",
    "ModelNotFoundError", "ModelSpec", "PromptError", "extract", "load_model", "model_fingerprint", "resolve_model", "tokenize",
]
