"""verify's lean decoding reads what the full one reads, and refuses every body the full one refuses."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.exceptions import StoreError
from campaignflow.org.graph import Org
from campaignflow.presets import safety
from campaignflow.run import verify as verifying
from campaignflow.run.replay_rows import BlobShard, Logged, lean_step
from campaignflow.store import SQLStore, open_store
from campaignflow.store.codec import chain_hash
from conftest import reset_pg
from test_store_properties import OPERATIONS, UNITS, _apply
from test_verify import CLERK, _sql
from test_verify import UNITS as VERIFY_UNITS
from test_verify import _store as _twelve_steps

FIELDS = ("seq", "unit", "kind", "event", "source", "dest", "target", "count", "key", "prev_hash", "hash")
SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _read(step: Logged) -> tuple[object, ...]:
    """What replay and verify read of a step."""
    ev = step.evidence
    return (*(getattr(step, f) for f in FIELDS), None if ev is None else (ev.id, ev.kind))


def _rows(store: Any) -> list[tuple[Any, ...]]:
    c = store._tables().steps.c
    return list(store._log_rows(c.unit, c.kind, c.body, c.prev_hash, c.hash))


def _store(url: str) -> SQLStore:
    definition = safety.campaign().build()
    types = definition.evidence_types
    store = open_store(url, evidence_types=types)
    store.bind(definition.id, fresh=False, evidence_types=types)
    assert isinstance(store, SQLStore)
    return store


def _full(store: Any, seq: int, body: str, prev: str, digest: str) -> cf.Step | None:
    """The full decoding of a body that hashes as stored, or ``None`` where it refuses it."""
    try:
        step = store._decode(seq, body, prev, digest, lean=True)
    except StoreError:
        return None
    assert isinstance(step, cf.Step)
    return step


def _lean_reads_what_full_reads(url: str, plan: list[tuple[str, str, str]]) -> None:
    c = safety.campaign()
    run = c.start(list(UNITS), store=url, clock=cf.FixedClock(), ids=cf.CountingIds())
    for unit, op, event in plan:
        _apply(run, unit, op, event)
    store = _store(url)
    rows = _rows(store)
    assert len(rows) == len(list(store.steps()))
    for seq, _, _, body, prev, digest in rows:
        assert chain_hash(prev, body.encode()) == digest
        full = _full(store, seq, body, prev, digest)
        assert full is not None
        lean = lean_step(seq, body.encode(), prev, digest, store.evidence_types)
        if full.kind is cf.Kind.DENY:  # replay reads its verdict: the full decoding gives it
            assert lean is None
        else:
            assert lean is not None
            assert _read(lean) == _read(full)


class TestLeanReadsWhatFullReads:
    @SETTINGS
    @given(OPERATIONS)
    def test_sqlite(self, plan: list[tuple[str, str, str]]) -> None:
        """Every body of any generated log: the lean step holds what the full step holds for replay."""
        with tempfile.TemporaryDirectory() as tmp:
            _lean_reads_what_full_reads(f"sqlite:///{Path(tmp) / 'p.db'}", plan)

    @SETTINGS
    @given(OPERATIONS)
    def test_postgresql(self, pg_url: str, plan: list[tuple[str, str, str]]) -> None:
        """The same on PostgreSQL, whose driver gives the rows' columns its own way."""
        reset_pg(pg_url)
        _lean_reads_what_full_reads(pg_url, plan)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=1 << 63, max_value=1 << 70)  # parsed as float by orjson
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "s1", "fire", "record", "deny", "retract", "send_back", "pass", "Inspection"])
    | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)
PATHS = st.sampled_from(
    [
        ("unit",),
        ("kind",),
        ("actor",),
        ("at",),
        ("event",),
        ("source",),
        ("dest",),
        ("target",),
        ("count",),
        ("key",),
        ("seq",),
        ("hash",),
        ("evidence",),
        ("evidence", "id"),
        ("evidence", "kind"),
        ("evidence", "value"),
        ("evidence", "value", "hours"),
        ("evidence", "value", "attendees"),
        ("evidence", "actor"),
        ("verdict",),
        ("verdict", "root"),
        ("verdict", "root", "status"),
        ("verdict", "root", "children"),
        ("verdict", "stage"),
    ]
)


def _forge(data: Any, path: tuple[str, ...], value: object, *, delete: bool) -> None:
    """Set (or delete) ``data`` at ``path``, where the path leads through dicts."""
    for part in path[:-1]:
        if not isinstance(data, dict) or not isinstance(data.get(part), dict):
            return
        data = data[part]
    if delete:
        data.pop(path[-1], None)
    else:
        data[path[-1]] = value


@pytest.fixture(scope="module")
def forgeable() -> Any:
    """A log of records, fires, a retraction and a refusal, its rows read once."""
    with tempfile.TemporaryDirectory() as tmp:
        c, url = _twelve_steps(Path(tmp))
        run = c.open(VERIFY_UNITS, url)
        with pytest.raises(cf.GateClosed):
            run.fire("s3", "approve", by=CLERK)  # step 13, a refusal with its verdict
        store = _store(url)
        yield store, _rows(store)
        store.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data(), PATHS, JSON, st.booleans())
def test_a_forged_rehashed_body_the_full_decoding_refuses_is_never_taken_lean(
    forgeable: Any, data: st.DataObject, path: tuple[str, ...], value: object, delete: bool
) -> None:
    """Any field of any body rewritten (and the body re-hashed): lean takes it only as full reads it."""
    store, rows = forgeable
    seq, _, _, body, prev, _ = data.draw(st.sampled_from(rows))
    forged_data = json.loads(body)
    _forge(forged_data, path, value, delete=delete)
    forged = json.dumps(forged_data, ensure_ascii=False)
    digest = chain_hash(prev, forged.encode())
    full = _full(store, seq, forged, prev, digest)
    lean = lean_step(seq, forged.encode(), prev, digest, store.evidence_types)
    if lean is not None:
        assert full is not None, f"taken lean, refused in full: {forged}"
        assert _read(lean) == _read(full)


def _rewrite(url: str, seq: int, change: Callable[[dict[str, Any]], None]) -> None:
    """Rewrite step ``seq``'s body with ``change`` and hash it again, as a forger who knows the scheme."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        body, prev = conn.exec_driver_sql(f"SELECT body, prev_hash FROM cf_steps WHERE seq = {seq}").one()  # noqa: S608
        data = json.loads(body)
        change(data)
        forged = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        conn.execute(
            sa.text("UPDATE cf_steps SET body = :b, hash = :h WHERE seq = :s"),
            {"b": forged, "h": chain_hash(prev, forged.encode()), "s": seq},
        )
    engine.dispose()


def _set(*path: str, value: object) -> Callable[[dict[str, Any]], None]:
    return lambda data: _forge(data, path, value, delete=False)


def _drop(*path: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: _forge(data, path, None, delete=True)


# Re-hashed bodies (seq, change, a fragment of the problem): each passes the hash check.
FORGED = [
    pytest.param(
        7, _set("evidence", "value", "hours", value=-1), "does not fit", id="value-its-class-refuses"
    ),
    pytest.param(
        7, _set("evidence", "value", "hours", value="x"), "does not fit", id="value-of-another-type"
    ),
    pytest.param(2, _set("evidence", "value", value=[1]), "does not fit", id="value-not-an-object"),
    pytest.param(7, _drop("evidence", "actor"), "does not parse", id="evidence-without-its-actor"),
    pytest.param(5, _set("kind", value="explode"), "does not parse", id="unknown-kind"),
    pytest.param(5, _drop("unit"), "does not parse", id="no-unit"),
    pytest.param(5, _set("verdict", "root", value=7), "does not parse", id="fire-verdict-not-a-finding"),
    pytest.param(13, _set("verdict", "root", value=7), "does not parse", id="refusal-verdict-not-a-finding"),
    pytest.param(10, _set("target", value="nothing-recorded"), None, id="retraction-of-another-id"),
    pytest.param(4, _set("dest", value="closed"), "leads to", id="fire-to-another-stage"),
]


@pytest.mark.parametrize(("seq", "change", "fragment"), FORGED)
def test_a_rehashed_forgery_is_named_by_its_seq_in_one_pass_and_in_shards(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seq: int,
    change: Callable[[dict[str, Any]], None],
    fragment: str | None,
) -> None:
    """Lean or not, verify names the forged step; the shards leave it to the one pass, which names it."""
    c, url = _twelve_steps(tmp_path)
    run = c.open(VERIFY_UNITS, url)
    with pytest.raises(cf.GateClosed):
        run.fire("s3", "approve", by=CLERK)  # step 13, a refusal with its verdict
    assert c.verify(VERIFY_UNITS, url).ok
    _rewrite(url, seq, change)
    monkeypatch.setattr(verifying, "SHARDED_FROM", 1 << 60)
    one = c.verify(VERIFY_UNITS, url)
    assert (one.ok, one.seq) == (False, seq), one.problem
    if fragment is not None:
        assert fragment in one.problem
    monkeypatch.setattr(verifying, "SHARDED_FROM", 0)
    monkeypatch.setattr(verifying.os, "cpu_count", lambda: 2)
    definition = c.build()
    store = open_store(url, evidence_types=definition.evidence_types)
    store.bind(definition.id, fresh=False, evidence_types=definition.evidence_types)
    for processes in (1, 2):
        assert verifying._sharded(definition, Org.coerce(VERIFY_UNITS), store, processes) is None
        assert c.verify(VERIFY_UNITS, url, processes=processes) == one


def test_evidence_of_a_type_the_campaign_does_not_declare_raises_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-hashed record of an undeclared type is a foreign store's step: verify raises, naming it."""
    c, url = _twelve_steps(tmp_path)
    _rewrite(url, 7, _set("evidence", "kind", value="Nope"))
    monkeypatch.setattr(verifying.os, "cpu_count", lambda: 2)
    for sharded_from, processes in ((1 << 60, 1), (0, 1), (0, 2)):
        monkeypatch.setattr(verifying, "SHARDED_FROM", sharded_from)
        with pytest.raises(StoreError, match="step 7 holds evidence of type 'Nope'"):
            c.verify(VERIFY_UNITS, url, processes=processes)


def test_a_file_of_utf16_text_is_read_as_text_and_verifies_in_shards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bodies are hashed from their bytes only when the file stores UTF-8 (what the writer hashed)."""
    c, _ = _twelve_steps(tmp_path)
    assert BlobShard(str(tmp_path / "v.db"), "cf_", VERIFY_UNITS).blobs
    path = tmp_path / "u16.db"
    source, copy = sqlite3.connect(tmp_path / "v.db"), sqlite3.connect(path)
    copy.execute("PRAGMA encoding = 'UTF-16le'")  # before the first table: the file's text encoding
    copy.executescript("\n".join(source.iterdump()))
    source.close()
    copy.close()
    assert not BlobShard(str(path), "cf_", VERIFY_UNITS).blobs
    monkeypatch.setattr(verifying, "SHARDED_FROM", 0)
    definition = c.build()
    store = open_store(f"sqlite:///{path}", evidence_types=definition.evidence_types)
    store.bind(definition.id, fresh=False, evidence_types=definition.evidence_types)
    report = verifying._sharded(definition, Org.coerce(VERIFY_UNITS), store, 1)
    assert report is not None
    assert (report.ok, report.steps) == (True, 12)
    _sql(f"sqlite:///{path}", "UPDATE cf_steps SET body = replace(body, '\"li\"', '\"wang\"') WHERE seq = 8")
    assert verifying._sharded(definition, Org.coerce(VERIFY_UNITS), store, 1) is None


@pytest.mark.parametrize(
    ("statement", "ok"),
    [
        ("UPDATE cf_steps SET body = CAST(CAST(body AS BLOB) || X'FF' AS BLOB) WHERE seq = 5", False),
        ("UPDATE cf_steps SET body = CAST(body AS BLOB) WHERE seq = 5", True),
    ],
    ids=["bytes-that-are-not-utf8", "the-same-bytes-as-a-blob"],
)
def test_a_body_stored_as_bytes_is_hashed_as_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, statement: str, *, ok: bool
) -> None:
    """A body column holding bytes, not text, is hashed and parsed as those bytes, sharded or not."""
    c, url = _twelve_steps(tmp_path)
    _sql(url, statement)
    monkeypatch.setattr(verifying, "SHARDED_FROM", 1 << 60)
    one = c.verify(VERIFY_UNITS, url)
    assert (one.ok, one.seq) == (ok, None if ok else 5), one.problem
    if not ok:
        assert "does not parse" in one.problem
    monkeypatch.setattr(verifying, "SHARDED_FROM", 0)
    monkeypatch.setattr(verifying.os, "cpu_count", lambda: 2)
    for processes in (1, 2):
        assert c.verify(VERIFY_UNITS, url, processes=processes) == one


def test_a_text_body_that_is_not_utf8_is_refused_by_the_read_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Text the driver cannot decode: the store's read raises, naming the column, sharded or not."""
    c, url = _twelve_steps(tmp_path)
    _sql(url, "UPDATE cf_steps SET body = CAST(body AS BLOB) || X'FF' WHERE seq = 5")  # || gives text
    monkeypatch.setattr(verifying.os, "cpu_count", lambda: 2)
    for sharded_from, processes in ((1 << 60, 1), (0, 1), (0, 2)):
        monkeypatch.setattr(verifying, "SHARDED_FROM", sharded_from)
        with pytest.raises(StoreError, match="column 'body'"):
            c.verify(VERIFY_UNITS, url, processes=processes)


@pytest.mark.parametrize("outside", [False, True], ids=["its-own-units", "every-unit-but"])
def test_a_shard_reads_the_log_and_index_in_table_order_without_sorting(
    tmp_path: Path, *, outside: bool
) -> None:
    """Each shard query scans its table: none searches the (unit, seq) index and sorts the rows after."""
    _twelve_steps(tmp_path)
    shard = BlobShard(str(tmp_path / "v.db"), "cf_", VERIFY_UNITS[:1], outside=outside)
    said: list[str] = []
    shard.conn.set_trace_callback(said.append)
    rows = list(shard.log_bytes())
    index = list(shard.evidence())
    shard.projected()
    shard.conn.set_trace_callback(None)
    assert rows
    assert index
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    queries = [q for q in said if q.lstrip().upper().startswith("SELECT")]
    assert len(queries) == 3  # the log, the index, the projection count
    for query in queries:
        plan = " / ".join(str(r[3]) for r in shard.conn.execute(f"EXPLAIN QUERY PLAN {query}"))
        assert "TEMP B-TREE" not in plan, plan
        assert "cf_steps_unit_seq" not in plan, plan
        assert "cf_evidence_unit_kind" not in plan, plan
    shard.close()
