"""Exports that stand alone: file names, provenance columns, and the page's zip (ui.export)."""

from __future__ import annotations

import io
import json
import shutil
import zipfile

import pandas as pd
import plotly.graph_objects as go
import pytest

from pipeline.spec import text_hash
from ui.export import Provenance, bundle, file_stem, stamped

PROVENANCE = Provenance(model="SmolLM2-135M-Instruct", prompt="The river runs.", shuffle_index=0, seed=0)


def test_file_names_carry_model_prompt_hash_and_settings():
    stem = file_stem("nn-angles", PROVENANCE, "layer 12")
    assert stem == f"SmolLM2-135M-Instruct_{text_hash('The river runs.')[:8]}_nn-angles_layer-12"


def test_data_carries_provenance_columns_and_keeps_its_own():
    data = stamped(pd.DataFrame({"layer": [1, 2], "shuffle_index": [0, 3]}), PROVENANCE)
    assert list(data.columns[:5]) == ["model", "prompt_sha256", "seed", "estimator", "layer"]
    assert list(data.shuffle_index) == [0, 3]  # a table with one row per S keeps its S
    assert set(data.model) == {"SmolLM2-135M-Instruct"} and set(data.prompt_sha256) == {text_hash("The river runs.")[:16]}


@pytest.mark.skipif(shutil.which("chromium") is None, reason="static export needs Chromium (apt-get install chromium)")
def test_the_page_bundle_holds_png_svg_csv_and_a_manifest():
    figure = go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2]))
    data = stamped(pd.DataFrame({"x": [1, 2, 3]}), PROVENANCE)
    archive = zipfile.ZipFile(io.BytesIO(bundle({"curve": (figure, data)}, page="Layers",
                                                permalink="http://127.0.0.1/?prompt=abc", provenance=PROVENANCE)))
    names = set(archive.namelist())
    assert names == {"curve.png", "curve.svg", "curve.csv", "manifest.json"}
    assert archive.read("curve.png")[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in archive.read("curve.svg")[:500]
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["permalink"] == "http://127.0.0.1/?prompt=abc"
    assert manifest["prompt_sha256"] == text_hash("The river runs.") and "plotly" in manifest["versions"]


def test_a_table_shown_as_text_goes_into_the_bundle_as_csv_only():
    """The Tokens page's cluster and neighbour tables are HTML, not figures: the zip holds their
    data (with the provenance columns) and the manifest names no image for them."""
    table = stamped(pd.DataFrame({"cluster": ["0", "1"], "tokens": [3, 4]}), PROVENANCE)
    archive = zipfile.ZipFile(io.BytesIO(bundle({"token-clusters": (None, table)}, page="Tokens",
                                                permalink="http://127.0.0.1/tokens", provenance=PROVENANCE)))
    assert set(archive.namelist()) == {"token-clusters.csv", "manifest.json"}
    back = pd.read_csv(io.BytesIO(archive.read("token-clusters.csv")))
    assert list(back.tokens) == [3, 4] and set(back.model) == {"SmolLM2-135M-Instruct"}
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["figures"] == [{"name": "token-clusters", "files": ["token-clusters.csv"]}]
