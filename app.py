"""Entry point: page configuration and navigation only (each view lives in pages/)."""

import streamlit as st

st.set_page_config(page_title="Token geometry", page_icon="🔺", layout="wide")
st.navigation([st.Page("pages/layers.py", title="Layers", default=True)]).run()
