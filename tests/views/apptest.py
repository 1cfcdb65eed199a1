"""Helpers to drive a page with Streamlit's AppTest on the tiny model."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui.sidebar import OTHER

ROOT = Path(__file__).resolve().parents[2]

PROMPT = ("Beautiful is better than ugly. Explicit is better than implicit. Simple is better than complex. "
          "The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun.")


def page(name: str, *, model_dir, prompt: str = PROMPT, timeout: float = 60) -> AppTest:
    """An AppTest of ``views/<name>.py`` with the sidebar set to the tiny model and ``prompt``."""
    app = AppTest.from_file(str(ROOT / "views" / f"{name}.py"), default_timeout=timeout)
    app.session_state["model_choice"] = OTHER
    app.session_state["model_text"] = str(model_dir)
    app.session_state["prompt"] = prompt
    return app


def whole_app(*, model_dir, prompt: str = PROMPT, timeout: float = 60) -> AppTest:
    """app.py with its navigation (``switch_page("views/<name>.py")`` moves between pages in one
    session), the sidebar set as in :func:`page`."""
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    app.session_state["model_choice"] = OTHER
    app.session_state["model_text"] = str(model_dir)
    app.session_state["prompt"] = prompt
    return app


def press_run(app: AppTest) -> AppTest:
    next(button for button in app.button if button.label == "Run").click()
    return app.run()


def figures(app: AppTest) -> list[dict]:
    """The Plotly figures on the page, as dicts (their data can be asserted)."""
    import json

    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


def values(field):
    """A trace's x/y as a numpy array (Plotly encodes numpy data as base64 typed arrays)."""
    import base64

    import numpy as np

    if isinstance(field, dict) and "bdata" in field:
        return np.frombuffer(base64.b64decode(field["bdata"]), dtype=np.dtype(field["dtype"]))
    return np.asarray(field, dtype=float)


def html_bodies(app: AppTest) -> list[str]:
    """The HTML the page draws: st.html bodies and the painted text of ui.clickable's component."""
    import json

    bodies = [element.proto.body for element in app.get("html")]
    for element in app.get("bidi_component"):
        data = json.loads(element.proto.json or "{}")
        if isinstance(data, dict) and isinstance(data.get("html"), str):
            bodies.append(data["html"])
    return bodies
