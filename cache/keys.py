"""Cache keys: a SHA-256 of the canonical JSON of a frozen spec (sorted keys, no whitespace)."""

from __future__ import annotations

import dataclasses
import hashlib
import json


def spec_key(spec) -> str:
    """Stable key of a dataclass or mapping; any change of any field gives another key."""
    data = dataclasses.asdict(spec) if dataclasses.is_dataclass(spec) else dict(spec)
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
