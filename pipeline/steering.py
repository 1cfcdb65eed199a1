"""Steering-vector transfer with Emb2Emb (Lee et al. 2025): find a steering vector in model A,
carry it into model B with the layer-to-layer map, add it to B's residual stream and measure.

Vectors. At a layer, a sentence's representation is the mean hidden state over its tokens (BOS
and the first token, the attention sink, left out). A concept's steering vector is

    v = mean over pairs of (representation of the ``toward`` sentence − of the ``away`` sentence).

v_A is found in A at ``layer_a``, v_B (B's own) in B at ``layer_b``; the transferred vector is
v_T = v_A W for the map W fitted from A's ``layer_a`` to B's ``layer_b`` on the neutral map texts
(:mod:`pipeline.layer_maps`; the bias cancels in a difference). The random controls are Gaussian
directions scaled to ‖v_T‖ (seeds 0 .. n_random − 1).

Steering adds strength × vector to B's ``hidden_states[layer_b]`` at every position
(:mod:`lm.steering`). Effect: at the end of each test prompt, the log-odds of the concept's target
words,

    s = log Σ_{w ∈ toward} p(w | prompt) − log Σ_{w ∈ away} p(w | prompt)

(each word by its first token), and the effect of a vector is s(steered) − s(unsteered), averaged
over the prompts. Generations are greedy with a fixed number of new tokens.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from cache import ResultStore, StoredResult, spec_key
from cache.memo import memoize, recall
from geometry.layer_map import LAYER_MAP_VERSION, fit_layer_map
from lm import LoadedModel, extract, model_fingerprint, resolve_model
from lm.steering import greedy_generate, next_token_log_probs, steerable_layers
from pipeline.layer_maps import aligned_states, texts_digest, wants_bos
from pipeline.errors import ExperimentError
from pipeline.runner import ModelLoader, Progress, default_loader, no_progress
from prompts.steering import CONCEPTS, MAP_TEXTS, Concept

STEERING_KIND = "steering_transfer"
STEERING_VERSION = 1
CONDITIONS = ("no steering", "B's own vector", "transferred from A", "random (same norm)")


@dataclass(frozen=True)
class SteeringSpec:
    """Everything that decides a steering experiment (and its cache key)."""

    model_a: str
    model_b: str
    concept: str
    layer_a: int
    layer_b: int
    strength: float
    relative_ridge: float = 0.1
    max_new_tokens: int = 24
    n_random: int = 5
    dtype: str = "float32"
    map_texts: tuple[str, ...] = MAP_TEXTS


@dataclass(frozen=True)
class SteeringResult:
    """What a steering experiment found.

    generations:      {condition: [continuation of each prompt]} (random: seed 0).
    effects:          {condition: mean over prompts of the log-odds shift}; "random (same norm)"
                      holds the mean over seeds, random_effects each seed's value.
    prompt_effects:   {condition: per-prompt shifts} (random: seed 0).
    map_r2_test:      held-out R² of the map A[layer_a] → B[layer_b]; map_tokens: aligned tokens.
    cosine:           cos(v_T, v_B); norms: ‖v_A‖, ‖v_B‖, ‖v_T‖; hidden_norm_b: mean ‖h‖ of B
                      at layer_b over the map texts (the scale the strength is measured against).
    toward_tokens, away_tokens: the first tokens of the target words in B's vocabulary.
    """

    spec: SteeringSpec
    prompts: tuple[str, ...]
    generations: dict
    effects: dict
    random_effects: tuple[float, ...]
    prompt_effects: dict
    baseline_log_odds: tuple[float, ...]
    map_r2_test: float
    map_tokens: int
    cosine: float
    norm_a: float
    norm_b: float
    norm_transferred: float
    hidden_norm_b: float
    toward_tokens: tuple[str, ...]
    away_tokens: tuple[str, ...]
    seconds: float
    from_cache: bool = False

    @property
    def random_sd(self) -> float:
        return float(np.std(self.random_effects, ddof=1)) if len(self.random_effects) > 1 else float("nan")


def sentence_representation(loaded: LoadedModel, text: str, *, layer: int) -> np.ndarray:
    """Mean hidden state at ``layer`` over the sentence's tokens, BOS and first token left out."""
    add_bos = wants_bos(loaded.spec)
    run = extract(loaded, text=text, add_special_tokens=add_bos, with_losses=False)
    skip = 1 + int(add_bos and run.token_ids.size > 1 and run.token_ids[0] == loaded.tokenizer.bos_token_id)
    rows = run.hidden_states[layer, skip:] if run.n_tokens > skip else run.hidden_states[layer, -1:]
    return rows.astype(np.float64).mean(axis=0)


def steering_vector(loaded: LoadedModel, concept: Concept, *, layer: int) -> np.ndarray:
    """Mean over the concept's pairs of (toward − away) sentence representations at ``layer``."""
    return np.mean([sentence_representation(loaded, toward, layer=layer) - sentence_representation(loaded, away, layer=layer)
                    for toward, away in concept.pairs], axis=0)


def target_tokens(loaded: LoadedModel, words) -> tuple[np.ndarray, tuple[str, ...]]:
    """First token id of each word (duplicates removed) and its string."""
    ids = []
    for word in words:
        first = loaded.tokenizer(word, add_special_tokens=False)["input_ids"][:1]
        if first and first[0] not in ids:
            ids.append(first[0])
    return np.array(ids, dtype=np.int64), tuple(loaded.tokenizer.decode([i]) for i in ids)


def log_odds(log_probs: np.ndarray, toward: np.ndarray, away: np.ndarray) -> np.ndarray:
    """Per prompt: log Σ_toward p − log Σ_away p, from (n_prompts, n_toward + n_away) log-probabilities."""
    return logsumexp(log_probs[:, : toward.size], axis=1) - logsumexp(log_probs[:, toward.size :], axis=1)


def random_vectors(*, dimension: int, norm: float, n: int) -> list[np.ndarray]:
    """Gaussian directions scaled to ``norm``, seeds 0 .. n − 1."""
    vectors = []
    for seed in range(n):
        direction = np.random.default_rng(seed).normal(size=dimension)
        vectors.append(direction / np.linalg.norm(direction) * norm)
    return vectors


def _key_spec(spec: SteeringSpec) -> dict:
    specs = [resolve_model(spec.model_a), resolve_model(spec.model_b)]
    concept = CONCEPTS[spec.concept]
    fields = dataclasses.asdict(spec)
    fields["map_texts"] = texts_digest(spec.map_texts)
    return {"kind": STEERING_KIND, **fields, "a": model_fingerprint(specs[0]), "b": model_fingerprint(specs[1]),
            "concept_data": texts_digest([repr(dataclasses.astuple(concept))]),
            "version": [STEERING_VERSION, LAYER_MAP_VERSION]}


def _validate(spec: SteeringSpec) -> None:
    if spec.concept not in CONCEPTS:
        raise ExperimentError(f"unknown concept {spec.concept!r}; choose one of {', '.join(CONCEPTS)}.")
    if not np.isfinite(spec.strength):
        raise ExperimentError(f"the strength must be a finite number; got {spec.strength!r}.")
    if not 1 <= spec.max_new_tokens <= 200:
        raise ExperimentError(f"max_new_tokens must be between 1 and 200; got {spec.max_new_tokens}.")
    if spec.n_random < 2:
        raise ExperimentError("at least 2 random vectors are needed for a mean ± sd control.")


def steering_experiment(spec: SteeringSpec, *, store: ResultStore | None, loader: ModelLoader = default_loader,
                        progress: Progress = no_progress, only_cached: bool = False) -> SteeringResult | None:
    """Run (or fetch from the cache) one steering-transfer experiment; see the module docstring."""
    _validate(spec)
    started = time.perf_counter()
    key_spec = _key_spec(spec)
    key = spec_key(key_spec)

    def decode(record: StoredResult) -> SteeringResult | None:
        return _from_meta(record.meta, spec, seconds=time.perf_counter() - started) if record.kind == STEERING_KIND else None

    if only_cached:
        return recall(store, key, decode=decode)[0]

    def encode(result: SteeringResult) -> dict:
        meta = dataclasses.asdict(result)
        meta.pop("spec")
        return dict(kind=STEERING_KIND, spec=key_spec, meta=meta, arrays={}, seconds=result.seconds)

    # A store that fails is not reported: the result is shown, and recomputed next time.
    return memoize(store, key, decode=decode, encode=encode,
                   compute=lambda: _experiment(spec, loader=loader, progress=progress, started=started)).value


def _experiment(spec: SteeringSpec, *, loader: ModelLoader, progress: Progress, started: float) -> SteeringResult:
    """The experiment of :func:`steering_experiment`, computed."""
    concept = CONCEPTS[spec.concept]
    loaded_a = loader(resolve_model(spec.model_a), spec.dtype)
    if not 0 <= spec.layer_a <= loaded_a.n_layers:
        raise ExperimentError(f"{loaded_a.spec.name} has layers 0..{loaded_a.n_layers}; got layer {spec.layer_a}.")
    progress(0.02, f"Steering vector of {loaded_a.spec.name} at layer {spec.layer_a}")
    vector_a = steering_vector(loaded_a, concept, layer=spec.layer_a)
    states_a, states_b, loaded_b = aligned_states(spec.model_a, spec.model_b, texts=spec.map_texts, dtype=spec.dtype,
                                                  loader=loader, progress=progress, start=0.05, span=0.35)
    if spec.layer_b not in steerable_layers(loaded_b):
        raise ExperimentError(f"{loaded_b.spec.name} can be steered at layers 0..{loaded_b.n_layers - 1}; "
                            f"got layer {spec.layer_b}.")
    progress(0.42, f"Fitting the map and {loaded_b.spec.name}'s own steering vector")
    linear_map = fit_layer_map(states_a[spec.layer_a], states_b[spec.layer_b], relative_ridge=spec.relative_ridge)
    vector_b = steering_vector(loaded_b, concept, layer=spec.layer_b)
    transferred = vector_a @ linear_map.weights
    norm_t = float(np.linalg.norm(transferred))
    randoms = random_vectors(dimension=loaded_b.hidden_size, norm=norm_t, n=spec.n_random)
    vectors = {CONDITIONS[0]: None, CONDITIONS[1]: vector_b, CONDITIONS[2]: transferred, CONDITIONS[3]: randoms[0]}

    toward, toward_strings = target_tokens(loaded_b, concept.toward_words)
    away, away_strings = target_tokens(loaded_b, concept.away_words)
    away_only = np.array([i for i in away if i not in set(toward.tolist())], dtype=np.int64)
    targets = np.concatenate([toward, away_only])
    prompts = [_prompt_ids(loaded_b, prompt) for prompt in concept.prompts]

    def scores(vector) -> np.ndarray:
        scaled = None if vector is None else spec.strength * vector
        return log_odds(next_token_log_probs(loaded_b, prompts=prompts, token_ids=targets, layer=spec.layer_b,
                                             vector=scaled), toward, away_only)

    progress(0.5, "Log-probabilities of the target words")
    baseline = scores(None)
    prompt_effects = {name: (scores(v) - baseline) for name, v in vectors.items() if v is not None}
    random_effects = [float(np.mean(prompt_effects[CONDITIONS[3]]))]
    random_effects += [float(np.mean(scores(v) - baseline)) for v in randoms[1:]]
    effects = {CONDITIONS[0]: 0.0, CONDITIONS[1]: float(np.mean(prompt_effects[CONDITIONS[1]])),
               CONDITIONS[2]: float(np.mean(prompt_effects[CONDITIONS[2]])), CONDITIONS[3]: float(np.mean(random_effects))}

    generations = {}
    total = len(vectors) * len(prompts)
    for c, (name, vector) in enumerate(vectors.items()):
        texts = []
        for p, prompt in enumerate(prompts):
            progress(0.6 + 0.38 * (c * len(prompts) + p) / total, f"Generating: {name}, prompt {p + 1} of {len(prompts)}")
            new = greedy_generate(loaded_b, prompt_ids=prompt, max_new_tokens=spec.max_new_tokens, layer=spec.layer_b,
                                  vector=None if vector is None else spec.strength * vector)
            texts.append(loaded_b.tokenizer.decode(new.tolist(), skip_special_tokens=True))
        generations[name] = texts
    hidden_norm = float(np.linalg.norm(states_b[spec.layer_b], axis=1).mean())
    result = SteeringResult(
        spec=spec, prompts=tuple(concept.prompts), generations=generations, effects=effects,
        random_effects=tuple(random_effects), prompt_effects={k: tuple(map(float, v)) for k, v in prompt_effects.items()},
        baseline_log_odds=tuple(map(float, baseline)), map_r2_test=float(linear_map.r2_test),
        map_tokens=int(states_a.shape[1]), cosine=_cosine(transferred, vector_b), norm_a=float(np.linalg.norm(vector_a)),
        norm_b=float(np.linalg.norm(vector_b)), norm_transferred=norm_t, hidden_norm_b=hidden_norm,
        toward_tokens=toward_strings, away_tokens=tuple(loaded_b.tokenizer.decode([i]) for i in away_only),
        seconds=time.perf_counter() - started)
    progress(1.0, "Done")
    return result


def _prompt_ids(loaded: LoadedModel, prompt: str) -> np.ndarray:
    return np.asarray(loaded.tokenizer(prompt, add_special_tokens=wants_bos(loaded.spec))["input_ids"], dtype=np.int64)


def _cosine(u: np.ndarray, v: np.ndarray) -> float:
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    return float(np.dot(u, v) / (nu * nv)) if nu > 0 and nv > 0 else float("nan")


def _from_meta(meta: dict, spec: SteeringSpec, *, seconds: float) -> SteeringResult:
    fields = {f.name for f in dataclasses.fields(SteeringResult)}
    values = {k: v for k, v in meta.items() if k in fields}
    for name in ("prompts", "random_effects", "baseline_log_odds", "toward_tokens", "away_tokens"):
        values[name] = tuple(values[name])
    values["prompt_effects"] = {k: tuple(v) for k, v in values["prompt_effects"].items()}
    values.update(spec=spec, from_cache=True, seconds=seconds)
    return SteeringResult(**values)
