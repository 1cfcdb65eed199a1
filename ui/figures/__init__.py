"""Plotly figures, one module per page. Pure functions (no Streamlit): analysis in, figure out."""
