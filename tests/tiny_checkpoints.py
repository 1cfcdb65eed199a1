"""Checkpoints of a tiny model trained for a few steps, laid out as the Hugging Face Trainer writes
them (``checkpoint-<step>/`` with config.json, model.safetensors, tokenizer files,
trainer_state.json, optimizer.pt, rng_state.pth).

A plain AdamW loop stands in for ``transformers.Trainer`` (importing and running the Trainer
takes ~30 s on these machines; the layout was checked against a real Trainer run). The pickled
files are deliberately not pickles: reading one would fail loudly, and nothing may read them.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.tiny_model import CORPUS, build_tiny_model


def train_tiny_checkpoints(folder: Path, *, steps: int = 6, save_every: int = 2, learning_rate: float = 3e-2,
                           seed: int = 0) -> Path:
    """Train a tiny random model on the tiny corpus; save a checkpoint every ``save_every`` steps
    under ``folder`` (the Trainer's ``output_dir``). Returns ``folder``."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = build_tiny_model(folder / "initial", seed=seed)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base)
    batch = [tokenizer(text)["input_ids"][:16] for text in CORPUS]
    ids = torch.tensor([row + [tokenizer.eos_token_id] * (16 - len(row)) for row in batch])
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    model.train()
    for step in range(1, steps + 1):
        loss = model(input_ids=ids, labels=ids).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % save_every == 0:
            checkpoint = folder / f"checkpoint-{step}"
            model.save_pretrained(checkpoint, safe_serialization=True)
            tokenizer.save_pretrained(checkpoint)
            (checkpoint / "trainer_state.json").write_text(json.dumps({"global_step": step, "loss": float(loss.detach())}))
            for name in ("optimizer.pt", "rng_state.pth", "training_args.bin"):
                (checkpoint / name).write_bytes(b"not a pickle: nothing may read this file")
    return folder
