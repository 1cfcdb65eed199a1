"""The one-off GGUF → safetensors conversion (lm.bundled.ensure_converted): each GGUF file is parsed
once per conversion, and the conversion says which of its four steps it is in."""

from __future__ import annotations

import threading

import gguf
import numpy as np
import pytest

from lm import bundled
from lm.bundled import CONVERSION_STEPS, _read_once


@pytest.fixture
def tiny_gguf(tmp_path):
    path = tmp_path / "tiny.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_block_count(1)
    writer.add_tensor("token_embd.weight", np.arange(12, dtype=np.float32).reshape(3, 4))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_within_a_conversion_a_file_is_parsed_once_and_only_for_the_converting_thread(tiny_gguf):
    outside = gguf.GGUFReader(tiny_gguf)
    with _read_once():
        first, again = gguf.GGUFReader(tiny_gguf), gguf.GGUFReader(str(tiny_gguf))
        other = []
        thread = threading.Thread(target=lambda: other.append(gguf.GGUFReader(tiny_gguf)))
        thread.start()
        thread.join()
    assert first is again  # the same parse for every read of this conversion
    assert other[0] is not first and outside is not first  # another thread, and before: their own
    assert gguf.GGUFReader(tiny_gguf) is not first  # after the conversion: a fresh parse again
    np.testing.assert_array_equal(np.asarray(first.tensors[0].data), np.asarray(outside.tensors[0].data))
    assert list(first.fields) == list(outside.fields)


def test_a_conversion_reports_its_four_steps_in_order(tmp_path, monkeypatch):
    """transformers replaced by fakes that read the file as it does (three times) and loop over its
    tensors with its ``tqdm``: the messages name step 1..4 in order, the tensors inside step 2, and
    the file is parsed once."""
    import transformers
    from transformers import modeling_gguf_pytorch_utils as gguf_utils

    parses = []
    original = gguf.GGUFReader

    class Counting:
        def __new__(cls, path, mode="r"):
            parses.append(path)
            return original(path, mode)

    monkeypatch.setattr(gguf, "GGUFReader", Counting)  # _read_once wraps whatever gguf has
    monkeypatch.setattr(bundled, "_readers", threading.local())
    source = tmp_path / "m.gguf"
    writer = gguf.GGUFWriter(str(source), "llama")
    for index in range(4):
        writer.add_tensor(f"t{index}", np.zeros(2, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    class Saved:
        config = object()

        def save_pretrained(self, folder):
            (folder / "config.json").write_text("{}")

    class FakeModel:
        @staticmethod
        def from_pretrained(folder, **options):
            reader = gguf.GGUFReader(source)  # the configuration
            reader = gguf.GGUFReader(source)  # the weights
            list(gguf_utils.tqdm(reader.tensors))
            return Saved()

    class FakeTokenizer:
        @staticmethod
        def from_pretrained(folder, **options):
            gguf.GGUFReader(source)  # the tokenizer's configuration
            return Saved()

    monkeypatch.setattr(transformers, "AutoModelForCausalLM", FakeModel)
    monkeypatch.setattr(transformers, "AutoTokenizer", FakeTokenizer)
    monkeypatch.setattr(bundled, "model_cache_dir", lambda: tmp_path / "models")
    messages = []
    folder = bundled.ensure_converted(source, key="m", progress=messages.append)
    assert (folder / "config.json").is_file()
    steps = [message.split(": ", 1)[1] for message in messages]
    assert steps[0] == f"step 1/4, {CONVERSION_STEPS[0]}"
    assert steps[1:-2] == [f"step 2/4, {CONVERSION_STEPS[1]}: tensor {done}/4" for done in (0, 1, 2, 3, 4)]
    assert steps[-2:] == [f"step 3/4, {CONVERSION_STEPS[2]}", f"step 4/4, {CONVERSION_STEPS[3]}"]
    assert len(parses) == 1
