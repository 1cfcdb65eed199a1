import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geometry.errors import GeometryError
from geometry.shuffle import max_shuffle_index, shuffle_tokens


def _blocks(order):
    """Split a permutation into maximal runs of consecutive increasing indices."""
    breaks = np.flatnonzero(np.diff(order) != 1) + 1
    return np.split(order, breaks)


def test_identity_at_zero_and_no_random_draw():
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    np.testing.assert_array_equal(shuffle_tokens(np.arange(100) + 7, shuffle_index=0, rng=rng), np.arange(100))
    assert rng.bit_generator.state == state


def test_matches_reference_reshape_when_divisible():
    # Reference (token_geometry/extract_shuffled.py): ids.reshape(K, N // K)[permutation].ravel()
    n, s = 1024, 2
    order = shuffle_tokens(np.zeros(n), shuffle_index=s, rng=np.random.default_rng(42))
    permutation = np.random.default_rng(42).permutation(4**s)
    np.testing.assert_array_equal(order, np.arange(n).reshape(4**s, -1)[permutation].ravel())


def test_full_permutation_when_blocks_reach_tokens():
    assert max_shuffle_index(1024) == 5 and max_shuffle_index(1025) == 6 and max_shuffle_index(1) == 0
    order = shuffle_tokens(np.zeros(100), shuffle_index=4, rng=np.random.default_rng(3))  # 256 ≥ 100
    np.testing.assert_array_equal(order, np.random.default_rng(3).permutation(100))
    again = shuffle_tokens(np.zeros(100), shuffle_index=40, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(again, order)


def test_near_equal_blocks_when_not_divisible():
    n, s = 103, 2  # 16 blocks: 7 of 7 tokens, then 9 of 6
    order = shuffle_tokens(np.zeros(n), shuffle_index=s, rng=np.random.default_rng(5))
    expected_blocks = np.array_split(np.arange(n), 16)
    permutation = np.random.default_rng(5).permutation(16)
    np.testing.assert_array_equal(order, np.concatenate([expected_blocks[b] for b in permutation]))
    sizes = sorted(len(b) for b in expected_blocks)
    assert sizes[0] == 6 and sizes[-1] == 7


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 300), s=st.integers(0, 6), seed=st.integers(0, 2**32 - 1))
def test_is_permutation_of_contiguous_blocks(n, s, seed):
    order = shuffle_tokens(list(range(n)), shuffle_index=s, rng=np.random.default_rng(seed))
    assert order.dtype == np.int64
    np.testing.assert_array_equal(np.sort(order), np.arange(n))
    k = 4**s
    if 0 < n and k < n:
        # Each block of the split is kept contiguous and in order inside the result.
        blocks = np.array_split(np.arange(n), k)
        position = np.empty(n, dtype=np.int64)
        position[order] = np.arange(n)
        for block in blocks:
            assert np.all(np.diff(position[block]) == 1)
        assert len(_blocks(order)) <= k


def test_same_seed_same_order():
    a = shuffle_tokens(np.zeros(50), shuffle_index=1, rng=np.random.default_rng(9))
    b = shuffle_tokens(np.zeros(50), shuffle_index=1, rng=np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)


def test_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(GeometryError):
        shuffle_tokens(np.zeros(10), shuffle_index=-1, rng=rng)
    with pytest.raises(GeometryError):
        shuffle_tokens(np.zeros((2, 5)), shuffle_index=1, rng=rng)
    with pytest.raises(GeometryError, match="Generator"):
        shuffle_tokens(np.zeros(10), shuffle_index=1, rng=np.random.RandomState(0))
    with pytest.raises(GeometryError):
        max_shuffle_index(-3)
