"""Make a checkpoint series to look at on the Training page when no real one is at hand.

Trains a small Llama (4 layers, width 64, a 4096-token BPE vocabulary learnt from the bundled
State of the Union text) from random initialisation with the Hugging Face Trainer, which writes
``checkpoint-<step>`` folders; the untrained model is saved as ``checkpoint-0`` in the same
layout. Nothing is downloaded. Then measure the series:

    .venv/bin/python docs/train_tiny_series.py /tmp/tiny-series            # 75 s measured on 2 quiet cores
    .venv/bin/python -m cli checkpoints /tmp/tiny-series --name tiny-sotu --prompt "…"

This is a toy: a 1.3 M-parameter model trained on a few hundred thousand tokens, not a
language model anyone uses. It shows what the view draws, not what happens to a real LLM.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import startup  # noqa: E402

# Before torch loads: its OpenMP threads otherwise busy-wait for each other (see settings.py); on
# a shared 2-core machine that made each step of this tiny model take seconds.
startup.configure_process()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="output folder (the Trainer's output_dir); must not exist")
    parser.add_argument("--save-at", default="10,20,40,80,160,320,640,1280",
                        help="steps to save a checkpoint at (log-spaced: the early steps are where the ID moves)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.out.exists():
        parser.error(f"{args.out} exists; give a new folder.")

    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast, Trainer, TrainerCallback,
                              TrainingArguments, set_seed)

    save_at = sorted({int(step) for step in args.save_at.split(",")})

    class SaveAt(TrainerCallback):
        """Save at the listed steps only (the Trainer's own save_steps are evenly spaced)."""

        def on_step_end(self, training_args, state, control, **kwargs):
            control.should_save = state.global_step in save_at
            return control

    from prompts import load_prompt_set

    torch.set_num_threads(1)  # the model is tiny: one thread is fastest
    set_seed(args.seed)
    texts = [passage.text for passage in load_prompt_set("sotu", target_tokens=256, limit=1500).passages]
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.train_from_iterator(texts, trainer=trainers.BpeTrainer(
        vocab_size=4096, special_tokens=["<unk>", "<s>", "</s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", bos_token="<s>", eos_token="</s>",
                                   pad_token="</s>")
    stream = [token for text in texts for token in fast(text)["input_ids"] + [fast.eos_token_id]]
    length = 64
    blocks = torch.tensor(stream[: len(stream) // length * length]).reshape(-1, length)
    data = [{"input_ids": block, "labels": block} for block in blocks]
    print(f"{len(texts)} passages, {len(stream)} tokens, {len(blocks)} blocks of {length}", file=sys.stderr)

    config = LlamaConfig(vocab_size=len(fast), hidden_size=64, intermediate_size=256, num_hidden_layers=4,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=length,
                         bos_token_id=1, eos_token_id=2, tie_word_embeddings=False)
    model = LlamaForCausalLM(config)
    start = args.out / "checkpoint-0"
    model.save_pretrained(start)
    fast.save_pretrained(start)
    (start / "trainer_state.json").write_text(json.dumps({"global_step": 0}))
    training = TrainingArguments(output_dir=str(args.out), max_steps=save_at[-1], save_steps=save_at[-1],
                                 per_device_train_batch_size=8, learning_rate=3e-3, warmup_steps=5,
                                 lr_scheduler_type="cosine", weight_decay=0.0, logging_steps=10, report_to=[],
                                 use_cpu=True, seed=args.seed, disable_tqdm=True, save_only_model=True)
    Trainer(model=model, args=training, train_dataset=data, processing_class=fast, callbacks=[SaveAt()]).train()


if __name__ == "__main__":
    main()
