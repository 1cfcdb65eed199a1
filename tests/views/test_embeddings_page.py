"""The Embeddings page: every row by default, reserved rows counted, the vocabulary's lowest- and
highest-local-ID tokens with their nearest tokens (issue 11, findings 5-6)."""

import numpy as np

from cache import open_store
from pipeline.vocabulary import vocabulary_geometry
from tests.views.apptest import page


def test_embeddings_page_shows_every_row_and_the_extreme_local_ids(tiny_model_dir, isolated_store):
    app = page("embeddings", model_dir=tiny_model_dir).run()
    assert app.radio(key="embedding_rows").value == "every row (exact)"
    next(b for b in app.button if b.label.startswith("Measure")).click()
    app.run()
    assert not app.exception and not app.error
    expected = vocabulary_geometry(str(tiny_model_dir), store=open_store(isolated_store),
                                   only_cached=True)
    counts = next(frame.value for frame in app.dataframe if "rows" in frame.value.columns)
    count = dict(zip(counts["rows"], counts["count"]))
    assert count["left out by the seeded sample"] == 0 and count["used for the estimate"] == expected.result.n_used
    assert count["dropped: control tokens (the tokenizer's special tokens)"] == 3  # <unk>, <s>, </s>
    low, high = [frame.value for frame in app.dataframe if "local ID" in frame.value.columns]
    order = np.argsort(expected.local_ids, kind="stable")
    np.testing.assert_allclose(low["local ID"], np.round(expected.local_ids[order[:30]], 2))
    np.testing.assert_allclose(high["local ID"], np.round(expected.local_ids[order[::-1][:30]], 2))
    assert low["colour"].str.fullmatch("#[0-9A-Fa-f]{6}").all()
    assert (high["colour"] == "#9e9e9e").all()  # the contrast table is not grouped
    first = expected.tokens[expected.rows[order[0]]]
    assert repr(first)[1:-1] in low["token"].iloc[0] or repr(first) == low["token"].iloc[0]
