"""Corpus: statistics over a prompt set — mean profiles for structured vs shuffled text, the per-layer
correlation of ID with loss, logits ID vs entropy, per-token local ID vs surprisal."""

import streamlit as st

from cache import merge_shards
from geometry.shuffle import max_shuffle_index
from pipeline import corpus_stats as stats
from pipeline.corpus import CorpusConfig, corpora, load_corpus
from pipeline.sweep import estimator_label
from prompts import list_prompt_sets, load_prompt_set
from ui.corpus_run import PAGE_LIMIT, cli_command, run_small_corpus
from ui.figures import corpus as figures
from ui.page import open_view
from ui.present import controls, presenting
from ui.prompt_source import uploaded_sets
from ui.resources import current_store_path, store_handle
from ui.run import with_messages
from ui.show import show_figure

request, _ = open_view("Corpus", caption="The seeds' strongest claims are statistics over many prompts "
                       "(Viswanathan et al. 2025): mean ID profiles for structured vs shuffled text and the "
                       "per-layer correlation between ID and next-token loss.", needs_result=False)
store = store_handle(current_store_path()).store
if store is None:
    st.stop()
with controls("prompt sets"):
    if st.button("Refresh from CLI runs", help="Merge the results of finished batch runs (python -m cli run) into the cache."):
        report = with_messages(lambda: merge_shards(store))
        if report is not None:
            st.info(report.message or "No batch-run files were waiting.")

    # Presenting, the controls already sit in a folded expander, and expanders cannot be nested.
    with st.container(border=True) if presenting() else st.expander("Run a prompt set", expanded=False):
        sets = [info.name for info in list_prompt_sets() if info.available] + list(uploaded_sets())
        left, middle, right = st.columns(3)
        set_name = left.selectbox("Prompt set", sets, key="corpus_set")
        count = middle.number_input("Prompts", 1, 10_000, 8, key="corpus_count")
        max_tokens = right.select_slider("Tokens per prompt", [128, 256, 512, 1024], 256, key="corpus_tokens")
        full = max_shuffle_index(int(max_tokens))
        shuffles = left.multiselect("Shuffle indices S", list(range(0, full + 1)), [0, full], key="corpus_shuffles",
                                    help=f"S={full} shuffles every token of a {max_tokens}-token prompt.")
        seeds = middle.number_input("Seeds per S > 0", 1, 10, 1, key="corpus_seeds")
        command = cli_command(model=request.model, prompts=set_name, shuffles=shuffles or [0], seeds=int(seeds),
                              max_tokens=int(max_tokens), limit=int(count), store_path=current_store_path())
        if count > PAGE_LIMIT or set_name in uploaded_sets():
            st.caption(f"Runs of more than {PAGE_LIMIT} prompts (or from an uploaded file) belong to the batch CLI, "
                       "which fills the same cache (then press *Refresh from CLI runs*):")
            st.code(command if set_name not in uploaded_sets() else command.replace(set_name, "YOUR_FILE.jsonl"), language="bash")
        elif st.button(f"Run {count} prompts here", type="primary"):
            prompt_set = load_prompt_set(set_name, target_tokens=int(max_tokens), limit=int(count))
            config = CorpusConfig(model=request.model, dtype=request.dtype, max_tokens=int(max_tokens),
                                  add_special_tokens=request.add_special_tokens)
            summary = with_messages(lambda: run_small_corpus(prompt_set, config, shuffles=shuffles or [0],
                                                             seeds=int(seeds), store=store))
            if summary:
                st.success(summary)

available = corpora(store)
if available.empty:
    st.info("No prompt set has been analysed yet: run one above, or with the CLI.")
    st.stop()
labels = [f"{row.corpus} · {row.model_name} · {row.max_tokens} tokens · {row.n_passages} prompts"
          for row in available.itertuples()]
with controls("prompt set"):
    choice = st.selectbox("Prompt set in the cache", range(len(labels)), format_func=labels.__getitem__,
                          key="corpus_choice")
row = available.iloc[choice]
items = with_messages(lambda: load_corpus(store, row.corpus, config_id=row.config_id))
if not items:
    st.stop()
model, corpus = row.model_name, row.corpus
estimators = stats.registered_statistics(items, dimension=True)
with controls("estimator"):
    estimator = st.selectbox("Estimator", estimators,
                             index=estimators.index("gride_2") if "gride_2" in estimators else 0,
                             format_func=estimator_label)
label = estimator_label(estimator)
profiles = stats.id_profile(items, estimator=estimator)
n_layers = int(profiles.layer.max())
tests = stats.paired_shuffle_test(stats.paired_items(items), statistic=estimator)
show_figure(figures.profile_figure(profiles, what=f"ID ({label})", model=model, corpus=corpus, tests=tests),
            name="corpus-id-profile", data=profiles)
for note in profiles.attrs.get("notes", []):
    st.caption(note)
if not tests.empty:
    with st.expander("Paired test per layer: shuffled minus structured, same passages"):
        st.dataframe(tests, hide_index=True)
left, right = st.columns(2)
with left:
    k = st.slider("Overlap k", 1, 6, 1, key="corpus_k")
    overlap = stats.overlap_profile(items, k=k)
    show_figure(figures.profile_figure(overlap, what=f"neighbourhood overlap χ_{k}", model=model, corpus=corpus,
                                       tests=stats.paired_shuffle_test(stats.paired_items(items), statistic=f"overlap_k{k}")),
                name="corpus-overlap", data=overlap)
with right:
    cosine = stats.cosine_profile(items)
    show_figure(figures.profile_figure(cosine, what="mean cosine similarity", model=model, corpus=corpus,
                                       tests=stats.paired_shuffle_test(stats.paired_items(items), statistic="cosine")),
                name="corpus-cosine", data=cosine)

with controls("statistic"):
    statistic = st.selectbox("Any per-layer statistic", stats.registered_statistics(items), format_func=estimator_label,
                             key="corpus_statistic")
chosen = stats.layer_profile(items, statistic=statistic)
show_figure(figures.profile_figure(chosen, what=estimator_label(statistic), model=model, corpus=corpus,
                                   tests=stats.paired_shuffle_test(stats.paired_items(items), statistic=statistic)),
            name=f"corpus-{statistic}", data=chosen)

st.subheader("Intrinsic dimension and loss")
correlation = stats.id_loss_table(items, estimator=estimator, shuffle_index=0)
logits_correlation = stats.logits_entropy_table(items, shuffle_index=0)
left, right = st.columns(2)
with left:
    show_figure(figures.correlation_figure(correlation, model=model, corpus=corpus, estimator=label),
                name="id-loss-correlation", data=correlation)
with right:
    if logits_correlation.empty:
        st.info("No analysis of this prompt set has a logits ID (the CLI computes it unless --no-logits-id).")
    else:
        show_figure(figures.correlation_figure(
            logits_correlation, model=model, corpus=corpus, estimator="logits ID: GRIDE on the logit vectors",
            x="range_scaling", against="contextual entropy",
            what="Correlation of the logits ID with contextual entropy, per range scaling"),
            name="logits-id-entropy-correlation", data=logits_correlation)
        st.caption("Viswanathan et al. report Pearson 0.43 at range scaling 2 and 0.60 at 4 for Llama-3-8B.")
layer = st.slider("Layer", 1, n_layers, int(correlation.loc[correlation.pearson_r.abs().idxmax(), "layer"])
                  if correlation.pearson_r.notna().any() else 1, key="corpus_layer")
left, right = st.columns(2)
with left:
    scatter = stats.prompt_scatter(items, layer=layer, estimator=estimator, shuffle_index=0)
    show_figure(figures.scatter_figure(scatter, x="id", y="mean_loss", x_title=f"ID ({label})",
                                       y_title="mean loss (nats)", what=f"Each prompt at layer {layer}", model=model,
                                       settings=corpus), name="id-vs-loss", data=scatter)
with right:
    tokens = stats.token_table(items, layer=layer, shuffle_index=0)
    show_figure(figures.scatter_figure(tokens, x="local_id", y="surprisal", x_title="local ID",
                                       y_title="surprisal (nats)", what=f"Each token at layer {layer}", model=model,
                                       settings=corpus, hover="token"), name="local-id-vs-surprisal", data=tokens)
logits = stats.logits_table(items, shuffle_index=0)
if logits.logits_id.notna().any():
    show_figure(figures.scatter_figure(logits, x="contextual_entropy", y="logits_id", x_title="contextual entropy (nats)",
                                       y_title="logits ID (GRIDE r=2)", what="Logits ID against contextual entropy",
                                       model=model, settings=corpus), name="logits-id-vs-entropy", data=logits)
