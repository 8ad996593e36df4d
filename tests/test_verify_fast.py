"""What the sharded verify's one loop leans on reads and hashes exactly as before."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.org.graph import Org
from campaignflow.run import verify as verifying
from campaignflow.store import open_store
from campaignflow.store._base import checkpoint_hash
from campaignflow.store.codec import chain_hash
from test_replay_rows import PATHS, _forge
from test_verify import UNITS as VERIFY_UNITS
from test_verify import _sql
from test_verify import _store as _twelve_steps

SEQS = st.integers(min_value=0, max_value=1 << 62)
HEADS = st.lists(st.tuples(st.text(max_size=12), st.text(max_size=64)), max_size=20)


@given(SEQS, SEQS, HEADS)
def test_a_checkpoint_hashes_as_its_writers_always_hashed_it(first: int, last: int, heads: list) -> None:
    """sha256 over ``[first, last, [[unit, head], ...]]`` as orjson writes it: stored checkpoints verify."""
    before = orjson.dumps([first, last, [list(h) for h in heads]])  # what every checkpoint was hashed over
    assert checkpoint_hash(first, last, tuple(heads)) == hashlib.sha256(before).hexdigest()


def _rechain(url: str, seq: int, change: Callable[[dict[str, Any]], None]) -> None:
    """Rewrite step ``seq``'s body with ``change``, as a forger who re-hashes everything after it.

    The unit's later steps are re-linked and re-hashed, and so are the checkpoints and
    the projection head that name its hashes: only what the bodies say can give it away.
    """
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        (unit,) = conn.exec_driver_sql(f"SELECT unit FROM cf_steps WHERE seq = {seq}").one()  # noqa: S608
        rows = conn.exec_driver_sql(
            "SELECT seq, body, prev_hash, hash FROM cf_steps WHERE unit = ? ORDER BY seq", (unit,)
        ).all()
        renamed: dict[str, str] = {}
        for s, stored, old_prev, old in rows:
            if s < seq:
                continue
            body = stored
            if s == seq:
                data = json.loads(stored)
                change(data)
                body = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            prev = renamed.get(old_prev, old_prev)
            new = chain_hash(prev, body.encode())
            renamed[old] = new
            conn.execute(
                sa.text("UPDATE cf_steps SET body = :b, prev_hash = :p, hash = :h WHERE seq = :s"),
                {"b": body, "p": prev, "h": new, "s": s},
            )
        for ident, first, last, heads in conn.exec_driver_sql(
            "SELECT id, first_seq, last_seq, heads FROM cf_checkpoints"
        ).all():
            named = tuple((u, renamed.get(h, h)) for u, h in json.loads(heads))
            conn.execute(
                sa.text("UPDATE cf_checkpoints SET heads = :heads, hash = :h WHERE id = :i"),
                {"heads": orjson.dumps(named).decode(), "h": checkpoint_hash(first, last, named), "i": ident},
            )
        for row_unit, head in conn.exec_driver_sql("SELECT unit, head FROM cf_units").all():
            conn.execute(
                sa.text("UPDATE cf_units SET head = :h WHERE unit = :u"),
                {"h": renamed.get(head, head), "u": row_unit},
            )
    engine.dispose()


VALUES = st.sampled_from(
    [
        *(None, "", 0, 1, -1, 2.5, [], {}, {"hours": 1}, {"attendees": 3}, "k"),
        *("s1", "s2", "s3", "s9", "record", "fire", "retract", "deny", "start"),
        *("mobilise", "inspect", "closed", "e-000002", "e-000007", "e-000011", "Inspection", "Briefing"),
    ]
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=1, max_value=12), PATHS, VALUES, st.booleans())
# Bodies on which the one pass raised (TypeError, KeyError) instead of naming the step:
@example(seq=10, path=("target",), value=[], delete=False)  # a retraction of no hashable id
@example(seq=4, path=("event",), value=None, delete=False)  # a fire of no event the machine has
@example(seq=4, path=("event",), value="explode", delete=False)
@example(seq=7, path=("key",), value=[1], delete=False)  # an idempotency key that is a list
@example(seq=7, path=("evidence", "id"), value={"a": 1}, delete=False)  # an evidence id that is a dict
def test_a_forgery_rehashed_to_the_end_is_clean_in_shards_only_when_clean_in_one_pass(
    monkeypatch: pytest.MonkeyPatch, seq: int, path: tuple[str, ...], value: object, delete: bool
) -> None:
    """The shards' one loop (records replayed inline) finds what the one pass finds, whatever a body says.

    And the one pass names a problem (a report, not an exception) for every body but a foreign store's.
    """
    monkeypatch.setattr(verifying.os, "cpu_count", lambda: 2)
    with tempfile.TemporaryDirectory() as tmp:
        c, url = _twelve_steps(Path(tmp))
        _rechain(url, seq, lambda data: _forge(data, path, value, delete=delete))
        monkeypatch.setattr(verifying, "SHARDED_FROM", 1 << 60)
        try:
            one: cf.VerifyReport | None = c.verify(VERIFY_UNITS, url)
        except cf.StoreError:  # evidence of a type the campaign does not declare: a foreign store's
            assert path == ("evidence", "kind")
            one = None
        monkeypatch.setattr(verifying, "SHARDED_FROM", 0)
        definition = c.build()
        store = open_store(url, evidence_types=definition.evidence_types)
        store.bind(definition.id, fresh=False, evidence_types=definition.evidence_types)
        for processes in (1, 2):
            shards = verifying._sharded(definition, Org.coerce(VERIFY_UNITS), store, processes)
            assert shards is None or shards == one, (shards, one)
            if one is not None and one.ok:
                assert shards == one
        store.close()


def test_whether_to_shard_counts_the_log_no_further_than_it_must(tmp_path: Path) -> None:
    """``steps_at_least(n)``: the log holds ``n`` steps or more, as ``step_count`` says."""
    _, url = _twelve_steps(tmp_path)
    store = open_store(url)
    assert store.step_count() == 12
    assert [store.steps_at_least(n) for n in (0, 1, 11, 12, 13, 1 << 60)] == [True] * 4 + [False] * 2
    _sql(url, "DELETE FROM cf_steps WHERE seq > 3")
    assert (store.steps_at_least(3), store.steps_at_least(4)) == (True, False)
    store.close()
