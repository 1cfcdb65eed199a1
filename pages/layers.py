"""Layers: intrinsic dimension of the token cloud at every layer."""

import pandas as pd
import streamlit as st

from ui.figures import duplicates_bar, id_curves
from ui.run import current_outcome, provenance
from ui.sidebar import render_sidebar

request, run = render_sidebar()
st.title("Layers")
st.caption("How the intrinsic dimension of the prompt's token cloud changes with depth "
           "(Viswanathan et al. 2025). Click legend entries to show or hide an estimator; "
           "GRIDE r=2 equals the TwoNN MLE by construction, so those two lines coincide.")
outcome = current_outcome(request, run=run)
if outcome is not None:
    analysis = outcome.analysis
    if outcome.from_cache:
        st.success(provenance(outcome))
    else:
        st.caption(provenance(outcome))
    for note in analysis.notes:
        st.warning(note)
    if outcome.cache_notice:
        st.warning(outcome.cache_notice)
    chart, side = st.columns([3, 1])
    with chart:
        st.plotly_chart(id_curves(analysis), use_container_width=True)
    with side:
        st.metric("Tokens", analysis.n_tokens)
        st.metric("Mean next-token loss", f"{analysis.mean_loss:.2f} nats")
        st.metric("Layers", int(analysis.layers.size))
        with st.expander(f"The {analysis.n_tokens} tokens"):
            st.dataframe(pd.DataFrame({"token": [repr(t) for t in analysis.tokens]}), height=240)
        if analysis.n_duplicates.sum() > 0:
            st.plotly_chart(duplicates_bar(analysis), use_container_width=True)
        else:
            st.caption("No exact duplicate points at any layer 1..L, so none were removed.")
    with st.expander("Values per layer"):
        table = pd.DataFrame({"layer": analysis.layers, "TwoNN linear": analysis.twonn_linear,
                              "TwoNN MLE": analysis.twonn_mle, "duplicates removed": analysis.n_duplicates})
        for index, scaling in enumerate(analysis.range_scalings):
            table[f"GRIDE r={int(scaling)}"] = analysis.gride[:, index]
        st.dataframe(table, hide_index=True)
