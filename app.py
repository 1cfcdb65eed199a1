"""Entry point: page configuration and navigation only; each view is one thin file in views/.

The folder is not called ``pages/`` on purpose: Streamlit still treats a ``pages/`` folder beside the
entry script as a legacy multipage app when the first request of a server is for a page's URL, and
then runs that page without this file (no navigation, no page configuration).
"""

import startup

startup.configure_process()  # first, before any page loads torch (settings.py); idempotent on reruns

import streamlit as st  # noqa: E402

st.set_page_config(page_title="Token geometry", page_icon=":material/scatter_plot:", layout="wide")
st.navigation(
    [
        st.Page("views/layers.py", title="Layers", icon=":material/show_chart:", default=True),
        st.Page("views/tokens.py", title="Tokens", icon=":material/text_fields:"),
        st.Page("views/neighbors.py", title="Neighbours", icon=":material/hub:", url_path="neighbours"),
        st.Page("views/projection.py", title="UMAP", icon=":material/bubble_chart:", url_path="umap"),
        st.Page("views/compare.py", title="Compare", icon=":material/compare_arrows:"),
        st.Page("views/steering.py", title="Steering", icon=":material/alt_route:"),
        st.Page("views/embeddings.py", title="Embeddings", icon=":material/grid_on:"),
        st.Page("views/corpus.py", title="Corpus", icon=":material/library_books:"),
        st.Page("views/training.py", title="Training", icon=":material/trending_down:"),
    ]
).run()
