"""Shared fixtures: a tiny random model folder and an isolated cache location for every test."""

from __future__ import annotations

import os

import pytest

import startup

startup.configure_process()  # as the app and the CLI do, before anything loads torch

from tests.tiny_model import build_tiny_model  # noqa: E402

# Pages driven without a browser (AppTest) never see the progress box's polling: let them wait for
# a run to finish instead (ui.jobs). The e2e server sets its own value.
os.environ.setdefault("TOKEN_GEOMETRY_QUICK_WAIT", "300")


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
