"""The budget holds with a real (non-additive) BPE tokenizer, trained here in a fraction of a second."""

import pytest

from prompts import load_prompt_set
from prompts.sources.stdlib import stdlib_dir

tokenizers = pytest.importorskip("tokenizers")


@pytest.fixture(scope="module")
def bpe_counter():
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=["<unk>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    corpus = [(stdlib_dir() / name).read_text(encoding="utf-8") for name in ("textwrap.py", "this.py")]
    tokenizer.train_from_iterator(corpus, trainer=trainer)
    return lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)


@pytest.mark.parametrize("target", [64, 256])
def test_code_passages_fit_a_real_tokenizer_budget(bpe_counter, target):
    result = load_prompt_set("python-stdlib", target_tokens=target, count_tokens=bpe_counter, limit=30)
    sizes = [bpe_counter(p.text) for p in result.passages]
    assert len(sizes) == 30
    assert all(0.75 * target <= n <= target for n in sizes)
    assert sum(sizes) / len(sizes) > 0.8 * target  # lines are 5-20 tokens: a little slack
