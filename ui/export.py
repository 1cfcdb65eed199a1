"""Exports that stand alone: named files, provenance columns, and a zip of the whole page.

* File names carry the model, the prompt's hash and the figure's settings:
  ``SmolLM2-135M-Instruct_3f2a9c1d_nn-angles_layer-12.csv``.
* Every CSV/Parquet carries ``model``, ``prompt_sha256`` (16 hex), ``shuffle_index`` (S), ``seed``
  and ``estimator`` columns (a table that already has one keeps its own, e.g. one row per S).
* "Export this page" zips every figure drawn on the page as PNG and SVG (Plotly's static export:
  kaleido driving the machine's Chromium, offline), its data as CSV, and ``manifest.json`` with the
  permalink, the provenance and the versions of the software that made it.
"""

from __future__ import annotations

import io
import json
import platform
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pipeline.spec import text_hash
from ui.figures.common import mark_layer
from ui.present import PATH_OF_TITLE
from ui.url import CURRENT_QUERY

PAGE_FIGURES = "_page_figures"
PAGE_NAME = "_page_name"
HASH_LENGTH = 16
VERSIONED = ("streamlit", "plotly", "kaleido", "numpy", "scipy", "scikit-learn", "umap-learn", "torch",
             "transformers", "duckdb", "pandas")


@dataclass(frozen=True)
class Provenance:
    """What a figure's numbers were computed from."""

    model: str
    prompt: str
    shuffle_index: int | None = None
    seed: int | None = None
    estimator: str | None = None

    @property
    def prompt_hash(self) -> str:
        return text_hash(self.prompt)[:HASH_LENGTH]

    @classmethod
    def of(cls, analysis, *, estimator: str | None = None) -> "Provenance":
        return cls(model=analysis.model_name, prompt=analysis.prompt, shuffle_index=int(analysis.shuffle_index),
                   seed=int(analysis.seed), estimator=estimator)


def slug(text: str, limit: int = 60) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-.")[:limit] or "figure"


def file_stem(name: str, provenance: Provenance | None, settings: str = "") -> str:
    """``<model>_<prompt hash 8>_<name>[_<settings>]``: unique per view and readable."""
    parts = [slug(provenance.model, 40), provenance.prompt_hash[:8]] if provenance else []
    parts.append(slug(name).lower())
    if settings:
        parts.append(slug(settings).lower())
    return "_".join(parts)


def stamped(data: pd.DataFrame, provenance: Provenance | None) -> pd.DataFrame:
    """``data`` with the provenance columns first (columns it already has are kept as they are)."""
    if provenance is None:
        return data
    columns = {"model": provenance.model, "prompt_sha256": provenance.prompt_hash,
               "shuffle_index": provenance.shuffle_index, "seed": provenance.seed, "estimator": provenance.estimator}
    data, position = data.copy(), 0
    for name, value in columns.items():
        if name not in data.columns:
            data.insert(position, name, value)
            position += 1
    return data


def parquet_bytes(data: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    data.to_parquet(buffer, index=False)
    return buffer.getvalue()


# --- the page's figures, for "Export this page" ------------------------------------------------

def start_page(name: str) -> None:
    """Forget the previous page's figures when another page is drawn."""
    if st.session_state.get(PAGE_NAME) != name:
        st.session_state[PAGE_NAME] = name
        st.session_state[PAGE_FIGURES] = {}


def register(stem: str, figure: go.Figure | None, data: pd.DataFrame | None, *, along: str | None = None) -> None:
    """Keep a figure drawn on the page for its zip (or, with ``figure`` None, a table the page shows
    as text: only its data goes in); ``along`` ("x" or "y"): the axis of its layers, where the zip
    marks the link's layer."""
    st.session_state.setdefault(PAGE_FIGURES, {})[stem] = (figure, data, along)


def marked_layer(figures: dict[str, tuple[go.Figure | None, pd.DataFrame | None, str | None]],
                 layer: int | None) -> dict[str, tuple[go.Figure | None, pd.DataFrame | None]]:
    """The registered figures as the zip holds them: ``layer`` marked on each chart across layers."""
    return {stem: (mark_layer(figure, layer=layer, along=along) if figure is not None and along and layer else figure, data)
            for stem, (figure, data, along) in figures.items()}


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in VERSIONED:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found


def bundle(figures: dict[str, tuple[go.Figure | None, pd.DataFrame | None]], *, page: str, permalink: str,
           provenance: Provenance | None) -> bytes:
    """A zip: <stem>.png, <stem>.svg and <stem>.csv for each figure (only the .csv for a table
    registered without a figure), and manifest.json."""
    import plotly.io as pio

    names = list(figures)
    drawn = [stem for stem in names if figures[stem][0] is not None]
    images: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="token-geometry-export-") as folder:
        paths = [Path(folder) / f"{stem}.{kind}" for stem in drawn for kind in ("png", "svg")]
        if drawn:  # one browser for every image (kaleido starts Chromium once per call)
            pio.write_images(fig=[figures[stem][0] for stem in drawn for _ in (0, 1)], file=[str(p) for p in paths],
                             format=[p.suffix[1:] for p in paths], scale=[2 if p.suffix == ".png" else 1 for p in paths])
        for path in paths:
            images[path.name] = path.read_bytes()
    manifest = {
        "page": page, "permalink": permalink, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": provenance.model if provenance else None,
        "prompt_sha256": text_hash(provenance.prompt) if provenance else None,
        "prompt": provenance.prompt if provenance else None,
        "figures": [{"name": stem, "files": ([f"{stem}.png", f"{stem}.svg"] if stem in drawn else [])
                     + ([f"{stem}.csv"] if figures[stem][1] is not None else [])} for stem in names],
        "versions": versions(),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in images.items():
            archive.writestr(name, data)
        for stem in names:
            if figures[stem][1] is not None:
                archive.writestr(f"{stem}.csv", figures[stem][1].to_csv(index=False))
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    return buffer.getvalue()


def export_page_button(*, page: str, provenance: Provenance | None, container=None) -> None:
    """A download button whose zip is made when it is clicked, from the figures the page drew.

    Streamlit calls ``make`` outside the page's run (no session state then): it keeps the page's
    figure dict itself, which the page fills after drawing this button, and the link of the moment."""
    figures = st.session_state.setdefault(PAGE_FIGURES, {})
    query = st.session_state.setdefault(CURRENT_QUERY, {})
    parts = urlsplit(st.context.url or "http://127.0.0.1:8501/")
    path = "/" + PATH_OF_TITLE.get(page, "")

    def make() -> bytes:
        permalink = urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))
        layer = query.get("layer")
        drawn = marked_layer(dict(figures), int(layer) if layer and layer.isdigit() else None)
        return bundle(drawn, page=page, permalink=permalink, provenance=provenance)

    stem = file_stem(page, provenance)
    (container or st).download_button(
        "Export this page (zip)", make, file_name=f"{stem}.zip", mime="application/zip", on_click="ignore",
        icon=":material/download:", key="export-page",
        help="Every figure on this page as PNG and SVG, its data as CSV, and manifest.json (permalink, "
             "model, prompt hash, software versions). Takes a few seconds: a headless Chromium draws the images.")
