"""The SQL stores write a batch of fires from its columns (``store._sql_fires``) as they wrote it built.

``fire_many`` hands a store its batch as columns (``store._base.Fires``). The SQL
stores used to be given the built steps and rows through ``append`` (what a
store without ``append_fires`` still gets); every table row they store now must
be the one that path stored, byte for byte (bodies, hash chain, projection,
checkpoints), and the log the memory store hashes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.store import SQLStore, open_store
from campaignflow.store._base import Fires
from campaignflow.store._bulk import BULK, CHUNK, insert_chunks
from campaignflow.store.codec import step_to_dict
from campaignflow.values.findings import Verdict
from campaignflow.values.records import Kind
from test_keys import _target

ACTOR = cf.Actor(id="clerk")
# Ids that JSON and COPY escape (a quote, a backslash), and non-ASCII (an org refuses control characters).
ODD = ['u"q', "u\\b", "乡镇-01", "u'1", "u,1"]
SMALL = [*ODD, *(f"u{i:03d}" for i in range(40))]
LARGE = [*ODD, *(f"u{i:05d}" for i in range(BULK + 200))]  # PostgreSQL COPYs from BULK rows


@attrs.frozen
class Doc:
    n: int


def _campaign() -> cf.Campaign:
    c = cf.Campaign("sql-fires")
    c.stages("a", "b", "c")
    c.evidence(Doc)
    c.transition("go", "a", "b", gate=cf.all_of(cf.count_at_least(Doc, 1), cf.sum_at_least(Doc, "n", 2)))
    c.transition("on", "b", "c")  # no gate: one finding shared by every verdict
    c.rework("a", limit=3)
    return c


CAMPAIGN = _campaign()
TYPES = CAMPAIGN.build().evidence_types


def _in(run: cf.Run, units: list[str], stage: str) -> list[str]:
    return [u for u in units if run.state(u).stage == stage]


def _story(target: cf.Store | str, units: list[str]) -> cf.Run:
    """Evidence for most units, a gated batch (some refused), send-backs, and two batches more."""
    run = CAMPAIGN.start(units, store=target, clock=cf.FixedClock(), ids=cf.CountingIds())
    run.record_many([(u, Doc(i % 4)) for i, u in enumerate(units) if i % 7], by=ACTOR)
    run.fire_many(units, "go", by=ACTOR)  # refused: no Doc (i % 7 == 0), or a sum below 2
    for unit in units[1:12:2]:
        if run.state(unit).stage == "b":
            run.send_back(unit, "a", reason='返工: "材料" \\ 不实\n', by=ACTOR)
    run.fire_many(_in(run, units, "a"), "go", by=ACTOR)  # the reworked move again, the refused refused again
    run.fire_many(_in(run, units, "b"), "on", by=ACTOR)  # gateless
    return run


def _tables(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the campaign's tables, as the database holds them."""
    engine = sa.create_engine(url)
    order = {"steps": "seq", "units": "unit", "checkpoints": "id", "evidence": "seq, id", "keys": "key"}
    with engine.connect() as conn:
        found = {
            name: [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM cf_{name} ORDER BY {by}")]  # noqa: S608
            for name, by in order.items()
        }
    engine.dispose()
    return found


def _log(target: cf.Store | str) -> list[dict[str, object]]:
    store = open_store(target, evidence_types=TYPES)
    return [step_to_dict(s) | {"seq": s.seq, "prev": s.prev_hash, "hash": s.hash} for s in store.steps()]


def _reset(kind: str, url: str) -> None:
    if kind == "postgresql":
        from conftest import reset_pg  # noqa: PLC0415 - the PostgreSQL cases only

        reset_pg(url)


@pytest.mark.parametrize("units", [SMALL, LARGE], ids=["small", "bulk"])
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_columns_store_the_rows_built_steps_stored(
    kind: str,
    units: list[str],
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Log, projection, checkpoints and evidence index: the same rows, and the memory store's log."""
    url = str(_target(kind, tmp_path, request))
    run = _story(url, units)
    columns, log = _tables(url), _log(url)
    last = _in(run, units, "a")[:3]
    fired = [run.fire_many(last, "go", by=ACTOR).refused]
    _reset(kind, url)
    with monkeypatch.context() as patched:
        patched.setattr(SQLStore, "append_fires", None)
        before = _story(url.replace("k.db", "k-built.db"), units)
        built = _tables(url.replace("k.db", "k-built.db"))
        assert fired == [before.fire_many(last, "go", by=ACTOR).refused]
    assert columns == built
    memory = cf.MemoryStore()
    _story(memory, units)
    assert log == _log(memory)
    points = [(p.first_seq, p.last_seq, [list(h) for h in p.heads], p.hash) for p in memory.checkpoints()]
    assert [(f, la, orjson.loads(h), d) for _, f, la, h, d in columns["checkpoints"]] == points
    report = CAMPAIGN.verify(units, url.replace("k.db", "k-built.db") if kind == "sqlite" else url)
    assert report.ok, report.problem


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_batch_read_back_carries_the_links_it_wrote(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """``fired``'s steps are built when read, numbered and hashed as stored, each built once."""
    url = str(_target(kind, tmp_path, request))
    run = CAMPAIGN.start(SMALL, store=url, clock=cf.FixedClock(), ids=cf.CountingIds())
    run.record_many([(u, Doc(2)) for u in SMALL], by=ACTOR)
    run.fire_many(SMALL, "go", by=ACTOR)
    result = run.fire_many(SMALL, "on", by=ACTOR)
    assert len(result.fired) == len(SMALL)
    stored = {s.seq: s for s in open_store(url, evidence_types=TYPES).steps()}
    assert list(result.fired) == [stored[s.seq] for s in result.fired]
    assert all(s.hash and s.prev_hash for s in result.fired)
    assert result.fired[0] is result.fired[0]
    assert run.history(SMALL[1]) == tuple(s for s in stored.values() if s.unit == SMALL[1])


class _Broken:
    """A lazy verdict that cannot be built: the write fails after it streamed the rows before it."""

    passed = True

    def verdict(self) -> Verdict:
        msg = "no verdict"
        raise RuntimeError(msg)


def _fires(expected: dict[str, int], broken: int) -> Fires:
    """Passing fires "go" a → b of the units ``expected``, the ``broken``-th one's verdict unbuildable."""
    fires = Fires("go", ACTOR.id, "2026-05-03T00:00:00+00:00")
    root = cf.Finding(rule="r", label="r")
    for i, (unit, version) in enumerate(expected.items()):
        fires.units.append(unit)
        fires.kinds.append(Kind.FIRE)
        fires.sources.append("a")
        fires.dests.append("b")
        fires.reasons.append("")
        fires.verdicts.append(
            _Broken() if i == broken else Verdict(unit=unit, event="go", stage="a", root=root)
        )
        fires.versions.append(version + 1)
        fires.names.append(("go",))
        fires.reworks.append(None)
        fires.blocked.append(None)
    return fires


@pytest.mark.parametrize("units", [SMALL, LARGE], ids=["small", "bulk"])
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_failing_batch_leaves_no_rows(
    kind: str, units: list[str], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A batch that fails part-way (its rows streamed up to there) writes nothing, numbers nothing."""
    url = str(_target(kind, tmp_path, request))
    fresh = "never-written"
    run = CAMPAIGN.start([*units, fresh], store=url)
    run.record_many([(u, Doc(2)) for u in units], by=ACTOR)
    before = _tables(url)
    store = SQLStore(url, evidence_types=TYPES)
    store.bind(CAMPAIGN.build().id, fresh=False)
    expected = dict.fromkeys(units, 1) | {fresh: 0}
    fires = _fires(expected, broken=len(units) - 3)
    with pytest.raises(RuntimeError, match="no verdict"):
        store.append_fires(fires, expected)
    assert _tables(url) == before
    assert (fires.seqs, fires.built) == ((), [])
    # A rival writes the fresh unit's first row: the batch's own first row for it loses,
    # after the batch's log rows and its other units' rows went in.
    run.fire_many([fresh], "go", by=ACTOR)  # refused (no Doc): a step and a first row
    before = _tables(url)
    fires = _fires(expected, broken=-1)
    with pytest.raises(cf.ConcurrentUpdate) as lost:
        store.append_fires(fires, expected)
    assert lost.value.unit == fresh
    assert _tables(url) == before
    assert (fires.seqs, fires.built) == ((), [])
    store.append_fires(_fires(expected | {fresh: 1}, broken=-1), expected | {fresh: 1})  # it still writes
    assert CAMPAIGN.verify([*units, fresh], url).ok


_texts = st.text(st.characters(blacklist_categories=["Cs"]), max_size=6)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(
        st.tuples(_texts, st.sampled_from([Kind.FIRE, Kind.DENY]), _texts, _texts, _texts, st.booleans()),
        min_size=1,
        max_size=8,
        unique_by=lambda r: r[0],
    ),
    actor=_texts,
    event=_texts,
)
def test_any_columns_store_the_bytes_built_steps_store(
    rows: list[tuple[str, Kind, str, str, str, bool]],
    actor: str,
    event: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Any strings in any column: the columns' rows are the built steps' rows (SQLite)."""
    found = []
    for path in ("columns", "built"):
        fires = Fires(event, actor, "2026-05-03T00:00:00+00:00")
        for unit, kind, source, dest, reason, reworked in rows:
            root = cf.Finding(
                rule=reason, label=dest, status=cf.Status.PASSED if kind is Kind.FIRE else cf.Status.FAILED
            )
            fires.units.append(unit)
            fires.kinds.append(kind)
            fires.sources.append(source)
            fires.dests.append(dest)
            fires.reasons.append(reason)
            judged = unit if reworked else f"{unit}!"  # a verdict naming another unit is spliced too
            fires.verdicts.append(Verdict(unit=judged, event=event, stage=source, root=root, at=actor))
            fires.versions.append(1)
            fires.names.append((event,))
            fires.reworks.append({source: 1} if reworked else None)
            fires.blocked.append({"event": event, "why": [reason]} if kind is Kind.DENY else None)
        url = f"sqlite:///{tmp_path_factory.mktemp(path) / 'f.db'}"
        store = SQLStore(url, evidence_types=TYPES)
        store.bind("any", fresh=True)
        if path == "columns":
            store.append_fires(fires, dict.fromkeys(fires.units, 0))
            steps = [fires.step(i) for i in range(len(fires))]
        else:
            n = len(fires)
            steps, unit_rows = [fires.step(i) for i in range(n)], [fires.row(i) for i in range(n)]
            steps = store.append(steps, unit_rows, dict.fromkeys(fires.units, 0))
        found.append((_tables(url), steps))
        store.close()
    assert found[0] == found[1]


@pytest.mark.parametrize("n", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 7])
def test_sqlite_inserts_in_chunks_count_the_rows_they_insert(n: int) -> None:
    """Multi-row statements and the last few rows one by one: every row once, a skipped one uncounted."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
    db.execute("INSERT INTO t VALUES ('k5', -1)")  # a rival's row: k5 is skipped, in the first chunk
    statement = "INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO NOTHING"
    count = insert_chunks(db.cursor(), statement, ((f"k{i}", i) for i in range(n)))
    assert count == n - (n > 5)
    rows = {("k5", -1), *((f"k{i}", i) for i in range(n) if i != 5)}
    assert sorted(db.execute("SELECT k, v FROM t")) == sorted(rows)
    db.close()
