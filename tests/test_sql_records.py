"""``record_many`` on every store: the same log, links and rows, and a failing batch writes nothing.

The SQL stores write a batch of records with multi-row inserts (SQLite) or COPY
(PostgreSQL, from ``BULK`` rows); the memory store keeps the steps. Every store
must hold the same log (bodies, hash chain), the steps a batch returns must be
numbered and linked as stored, and a batch failing part-way leaves no row.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from pathlib import Path

import attrs
import pytest

import campaignflow as cf
from campaignflow.store import SQLStore, open_store
from campaignflow.store._base import UnitRow
from campaignflow.store._bulk import BULK
from campaignflow.store.codec import step_to_dict
from campaignflow.values.records import Kind, Recorded, Step
from test_keys import _target
from test_sql_fires import ODD, _tables

ACTOR = cf.Actor(id='clerk "甲"')


class Level(enum.StrEnum):
    LOW = "low"
    HIGH = "高"


@attrs.frozen
class Doc:
    n: int


@attrs.frozen
class Note:
    text: str
    score: float
    day: date
    at: datetime
    level: Level
    tags: tuple[str, ...] = ()
    extra: int | None = None


@attrs.frozen
class Nested:
    note: Note
    counts: dict[str, int] = attrs.field(factory=dict)


class Mark(enum.Enum):  # members that do not compare: the converter sorts them by their data
    ONE = "乙"
    TWO = "a"


@attrs.frozen
class Flags:
    zeta: int  # fields out of their names' order
    marks: frozenset[Mark] = frozenset()


def _campaign() -> cf.Campaign:
    c = cf.Campaign("sql-records")
    c.stages("a", "b")
    c.evidence(Doc)
    c.evidence(Note)
    c.evidence(Nested)
    c.evidence(Flags)
    c.transition("go", "a", "b", gate=cf.count_at_least(Doc, 1))
    return c


CAMPAIGN = _campaign()
TYPES = CAMPAIGN.build().evidence_types
SMALL = [*ODD, *(f"u{i:03d}" for i in range(30))]
LARGE = [*ODD, *(f"u{i:05d}" for i in range(BULK + 100))]  # PostgreSQL COPYs from BULK rows


def _log(target: cf.Store | str) -> list[dict[str, object]]:
    store = open_store(target, evidence_types=TYPES)
    return [step_to_dict(s) | {"seq": s.seq, "prev": s.prev_hash, "hash": s.hash} for s in store.steps()]


def _note(i: int) -> Note:
    return Note(
        text=f'第{i}条 "意见" \\ {i}\n',
        score=i / 3,
        day=date(2013, 3, 1 + i % 28),
        at=datetime(2013, 3, 1, i % 24, tzinfo=UTC),
        level=Level.HIGH if i % 2 else Level.LOW,
        tags=tuple(f"t{j}" for j in range(i % 3)),
        extra=None if i % 4 else -(2**40) * i,
    )


def _story(target: cf.Store | str, units: list[str]) -> list[Step]:
    """Batches of mixed evidence (two records per unit), a keyed record, a retract, fires, a batch more;
    the steps the record batches returned."""
    run = CAMPAIGN.start(units, store=target, clock=cf.FixedClock(), ids=cf.CountingIds())
    items: list[tuple[str, object]] = []
    for i, unit in enumerate(units):
        items.append((unit, _note(i)))
        items.append((unit, Doc(i) if i % 3 else Nested(_note(i), {"k": i, "键": -i})))
        items.append((unit, Flags(i, frozenset(list(Mark)[: i % 3]))))
    returned = run.record_many(items, by=ACTOR)
    kept = run.record(units[0], Doc(7), by=ACTOR, key="once")
    run.retract(units[0], kept.evidence.id if kept.evidence else "", reason="错", by=ACTOR)
    run.fire_many(units, "go", by=ACTOR)  # some refused (no Doc)
    returned += run.record_many([(u, Doc(1)) for u in units[::2]], by=cf.Actor(id="another"))
    run.fire_many([u for u in units if run.state(u).stage == "a"], "go", by=ACTOR)
    return returned


@pytest.mark.parametrize("units", [SMALL, LARGE], ids=["small", "bulk"])
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_record_batches_store_the_memory_stores_log(
    kind: str,
    units: list[str],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """Mixed evidence (sets sorted, nested values, odd strings) in small and COPY-sized batches."""
    url = str(_target(kind, tmp_path, request))
    returned = _story(url, units)
    memory = cf.MemoryStore()
    _story(memory, units)
    hashed = {s.seq: s for s in memory.steps()}
    assert returned == [hashed[s.seq] for s in returned]  # numbered and linked as written
    assert _log(url) == _log(memory)
    stored = open_store(url, evidence_types=TYPES)
    assert sorted(stored.rows(), key=_unit) == sorted(memory.rows(), key=_unit)
    assert list(stored.checkpoints()) == list(memory.checkpoints())
    kinds = list(TYPES)
    assert stored.records_many(units, kinds) == memory.records_many(units, kinds)  # the evidence index
    report = CAMPAIGN.verify(units, url)
    assert report.ok, report.problem


def _unit(row: UnitRow) -> str:
    return row.unit


@pytest.mark.parametrize("units", [SMALL, LARGE], ids=["small", "bulk"])
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_failing_batch_leaves_no_rows(
    kind: str, units: list[str], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A batch whose body fails to encode part-way (rows streamed up to it) writes nothing."""
    url = str(_target(kind, tmp_path, request))
    run = CAMPAIGN.start(units, store=url, ids=cf.CountingIds())
    run.record_many([(u, Doc(1)) for u in units], by=ACTOR)
    before = _tables(url)
    store = SQLStore(url, evidence_types=TYPES)
    store.bind(CAMPAIGN.build().id, fresh=False)
    steps = []
    for i, unit in enumerate(units):
        value = Doc(2**70 if i == len(units) - 3 else i)  # the encoder refuses the third from last
        recorded = Recorded(id=f"x{i}", unit=unit, kind="Doc", value=value, actor="a", at="t", seq=0)
        steps.append(
            Step(
                seq=0, unit=unit, kind=Kind.RECORD, actor="a", at="t", source="a", dest="a", evidence=recorded
            )
        )
    rows = [UnitRow(unit=u, stage="a", version=2) for u in units]
    with pytest.raises(cf.StoreError, match="cannot encode step data"):
        store.append(steps, rows, dict.fromkeys(units, 1))
    assert _tables(url) == before
    assert all(s.seq == 0 and not s.hash for s in steps)
    store.close()
    assert CAMPAIGN.verify(units, url).ok
