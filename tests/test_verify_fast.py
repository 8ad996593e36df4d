"""What the sharded verify's one loop leans on reads and hashes exactly as before."""

from __future__ import annotations

import hashlib

import orjson
from hypothesis import given
from hypothesis import strategies as st

from campaignflow.store._base import checkpoint_hash

SEQS = st.integers(min_value=0, max_value=1 << 62)
HEADS = st.lists(st.tuples(st.text(max_size=12), st.text(max_size=64)), max_size=20)


@given(SEQS, SEQS, HEADS)
def test_a_checkpoint_hashes_as_its_writers_always_hashed_it(first: int, last: int, heads: list) -> None:
    """sha256 over ``[first, last, [[unit, head], ...]]`` as orjson writes it: stored checkpoints verify."""
    before = orjson.dumps([first, last, [list(h) for h in heads]])  # what every checkpoint was hashed over
    assert checkpoint_hash(first, last, tuple(heads)) == hashlib.sha256(before).hexdigest()
