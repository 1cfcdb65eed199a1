"""Shared fixtures: a tiny random model folder and an isolated cache location for every test."""

from __future__ import annotations

import pytest

from tests.tiny_model import build_tiny_model


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(autouse=True)
def isolated_store(tmp_path, monkeypatch):
    """No test ever touches the user's real cache file."""
    path = tmp_path / "results.duckdb"
    monkeypatch.setenv("TOKEN_GEOMETRY_CACHE", str(path))
    return path


@pytest.fixture(scope="session", autouse=True)
def release_streamlit_resources():
    """Drop Streamlit's cached resources (DuckDB connections, models) before the interpreter exits."""
    yield
    import gc

    import streamlit as st

    st.cache_resource.clear()
    gc.collect()
