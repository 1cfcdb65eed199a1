"""Streamlit-facing helpers shared by the pages: sidebar, cached resources, figures."""
