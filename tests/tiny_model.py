"""A tiny random-initialised causal LM built from a config, saved as a local safetensors folder.

No download: the tokenizer is a small BPE trained on the spot; the weights are random.
"""

from __future__ import annotations

from pathlib import Path

CORPUS = [
    "The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun.",
    "Geometry of tokens changes with depth: intrinsic dimension rises, then falls again.",
    "Beautiful is better than ugly. Explicit is better than implicit. Simple is better than complex.",
    "def add(a, b):\n    return a + b\n\nprint(add(2, 3))",
]

# Four short passages (prose and code) that the tiny tokenizer covers; shared by corpus and CLI tests.
SAMPLE_PASSAGES = [
    "The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun. " * 2,
    "Geometry of tokens changes with depth: intrinsic dimension rises, then falls again. Beautiful is better than ugly.",
    "def add(a, b):\n    return a + b\n\nprint(add(2, 3))\n" * 3,
    "Explicit is better than implicit. Simple is better than complex. Complex is better than complicated. "
    "Flat is better than nested.",
]


def build_tiny_model(folder: Path, *, n_layers: int = 4, hidden_size: int = 32, context: int = 128, seed: int = 0,
                     tie_word_embeddings: bool = False) -> Path:
    """Write a tiny Llama model (config, safetensors weights, fast tokenizer) into ``folder``."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers, decoders
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1000, special_tokens=["<unk>", "<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(CORPUS, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", bos_token="<s>", eos_token="</s>")
    config = LlamaConfig(
        vocab_size=fast.vocab_size, hidden_size=hidden_size, intermediate_size=2 * hidden_size,
        num_hidden_layers=n_layers, num_attention_heads=4, num_key_value_heads=2,
        max_position_embeddings=context, bos_token_id=1, eos_token_id=2, tie_word_embeddings=tie_word_embeddings,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    fast.save_pretrained(folder)
    return folder
