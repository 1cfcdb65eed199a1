import numpy as np
import pytest
import torch

from lm import ModelLoadError, ModelNotFoundError, PromptError, extract, load_model, model_fingerprint, resolve_model, tokenize

TEXT = "The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun."


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    return load_model(resolve_model(str(tiny_model_dir)), threads=1)


def test_resolves_a_local_folder(tiny_model_dir):
    spec = resolve_model(str(tiny_model_dir))
    assert spec.source == "local" and spec.trust_remote_code is False


def test_hidden_states_have_one_entry_per_layer_plus_embeddings(tiny):
    run = extract(tiny, text=TEXT)
    assert run.hidden_states.dtype == np.float32
    assert run.hidden_states.shape == (tiny.n_layers + 1, run.n_tokens, tiny.hidden_size)
    assert len(run.tokens) == run.n_tokens
    assert "".join(run.tokens) == TEXT


def test_hidden_states_and_loss_match_plain_hugging_face(tiny):
    ids = tokenize(tiny, TEXT)
    run = extract(tiny, token_ids=ids)
    with torch.no_grad():
        reference = tiny.model(torch.as_tensor(ids[None]), output_hidden_states=True, labels=torch.as_tensor(ids[None]))
    np.testing.assert_allclose(run.hidden_states[0], reference.hidden_states[0][0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(run.hidden_states[-1], reference.hidden_states[-1][0].numpy(), rtol=1e-5, atol=1e-6)
    assert run.losses.shape == (run.n_tokens - 1,)
    assert run.mean_loss == pytest.approx(float(reference.loss), rel=1e-5)


def test_entropy_is_bounded_by_log_vocabulary(tiny):
    run = extract(tiny, text=TEXT)
    assert np.all(run.entropies >= 0)
    assert np.all(run.entropies <= np.log(tiny.model.config.vocab_size) + 1e-4)


def test_entropies_equal_scipy_on_the_softmax_of_the_logits(tiny):
    from scipy.special import softmax
    from scipy.stats import entropy

    run = extract(tiny, text=TEXT, keep_logits=True)
    expected = entropy(softmax(run.logits.astype(np.float64), axis=1), axis=1)
    np.testing.assert_allclose(run.entropies, expected, rtol=1e-5, atol=1e-5)


def test_no_special_tokens_by_default_and_bos_on_request(tiny):
    plain = tokenize(tiny, TEXT)
    with_bos = tokenize(tiny, TEXT, add_special_tokens=True)
    assert tiny.tokenizer.bos_token_id not in plain
    assert with_bos.size >= plain.size


def test_prompts_longer_than_the_context_are_truncated_and_say_so(tiny):
    long_text = " ".join([TEXT] * 20)
    run = extract(tiny, text=long_text)
    assert run.truncated and run.n_tokens == tiny.context_length < run.n_prompt_tokens
    short = extract(tiny, text=TEXT, max_tokens=5)
    assert short.n_tokens == 5 and short.truncated


def test_fingerprint_changes_when_weights_change(tiny_model_dir, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny_model_dir, copy)
    before = model_fingerprint(resolve_model(str(copy)))
    weights = next(copy.glob("*.safetensors"))
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    assert model_fingerprint(resolve_model(str(copy))) != before


def test_empty_prompt_is_refused(tiny):
    with pytest.raises(PromptError, match="empty"):
        extract(tiny, text="   \n")


@pytest.mark.parametrize("text", ["/no/such/folder", "./missing-model", "/tmp/absent.gguf", "not a model id!"])
def test_paths_that_do_not_exist_are_explained(text):
    with pytest.raises(ModelNotFoundError):
        resolve_model(text)


def test_a_folder_that_is_not_a_model_is_explained(tmp_path):
    with pytest.raises(ModelNotFoundError, match="config.json"):
        resolve_model(str(tmp_path))


def test_unknown_hub_id_offline_is_explained():
    spec = resolve_model("nobody-here/definitely-not-a-model")
    with pytest.raises(ModelNotFoundError, match="cannot download"):
        load_model(spec)


def test_folder_with_corrupt_weights_is_a_load_error(tiny_model_dir, tmp_path):
    import shutil

    copy = tmp_path / "broken"
    shutil.copytree(tiny_model_dir, copy)
    weights = next(copy.glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ModelLoadError):
        load_model(resolve_model(str(copy)))


def test_a_padded_batch_gives_each_prompt_what_it_gets_alone(tiny):
    from lm.extract import extract_batch

    texts = [TEXT, "A much shorter prompt here.", TEXT + " And a little longer than the first one."]
    ids = [tokenize(tiny, text) for text in texts]
    batch = extract_batch(tiny, token_ids=ids, logit_geometry=True)
    for prompt, run in zip(ids, batch):
        alone = extract(tiny, token_ids=prompt, logit_geometry=True)
        np.testing.assert_array_equal(run.token_ids, prompt)
        assert run.hidden_states.shape == alone.hidden_states.shape and run.tokens == alone.tokens
        np.testing.assert_allclose(run.hidden_states, alone.hidden_states, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(run.losses, alone.losses, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(run.entropies, alone.entropies, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(run.logit_coordinates, alone.logit_coordinates, rtol=1e-4, atol=1e-4)
