"""The SQL stores write records' bodies spliced from pieces (``store._sql_records``), as the codec did.

``SQLStore.append`` used to encode every step with ``codec.chained_rows``
(``step_bytes``: a dict per step, sorted and encoded). Its log rows now come from
``_sql_records.log_rows``; every table row the stores hold must be the one the
codec's path stored, byte for byte (bodies, hash chain, projection, checkpoints,
evidence index), and the log the memory store hashes.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.store import SQLStore, open_store
from campaignflow.store import _sql as sql_module
from campaignflow.store._base import UnitRow
from campaignflow.store._bulk import BULK
from campaignflow.store._sql_records import log_rows
from campaignflow.store.codec import chained_rows, step_to_dict
from campaignflow.values.findings import Finding, Verdict
from campaignflow.values.records import Kind, Recorded, Step
from test_keys import _target
from test_sql_fires import ODD, _reset, _tables

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
def test_spliced_records_store_the_rows_the_codec_stored(
    kind: str,
    units: list[str],
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Log, projection, checkpoints and evidence index: the codec's rows, and the memory store's log."""
    url = str(_target(kind, tmp_path, request))
    returned = _story(url, units)
    spliced, log = _tables(url), _log(url)
    _reset(kind, url)
    with monkeypatch.context() as patched:
        patched.setattr(sql_module, "log_rows", chained_rows)
        other = url.replace("k.db", "k-codec.db")
        _story(other, units)
        assert _tables(other) == spliced
    memory = cf.MemoryStore()
    _story(memory, units)
    hashed = {s.seq: s for s in memory.steps()}
    assert returned == [hashed[s.seq] for s in returned]  # numbered and linked as written
    assert log == _log(memory)
    report = CAMPAIGN.verify(units, url if kind == "sqlite" else other)
    assert report.ok, report.problem


_texts = st.text(st.characters(blacklist_categories=["Cs"]), max_size=6)
_values = st.one_of(
    st.builds(Doc, st.integers(-(2**63), 2**63 - 1)),
    st.builds(Flags, st.integers(-9, 9), st.frozensets(st.sampled_from(Mark))),
    st.builds(
        Note,
        text=_texts,
        score=st.floats(allow_nan=False, allow_infinity=False),
        day=st.dates(),
        at=st.datetimes(timezones=st.just(UTC)),
        level=st.sampled_from(Level),
        tags=st.lists(_texts, max_size=3).map(tuple),
        extra=st.none() | st.integers(-(2**63), 2**63 - 1),
    ),
)


@st.composite
def _steps(draw: st.DrawFn) -> list[Step]:
    """Record steps with any strings, and now and then another kind of step, a key, a count."""
    actor, at = draw(_texts), draw(_texts)
    steps = []
    for i in range(draw(st.integers(1, 12))):
        unit, source = draw(st.sampled_from(["u", "乡", 'q"']) | _texts), draw(_texts)
        other = draw(st.sampled_from(["record", "record", "record", "key", "count", "fire", "retract"]))
        if other == "fire":
            verdict = Verdict(unit=unit, event="go", stage=source, root=Finding(rule="r", label="r"))
            steps.append(Step(seq=0, unit=unit, kind=Kind.FIRE, actor=actor, at=at, verdict=verdict))
            continue
        if other == "retract":
            steps.append(Step(seq=0, unit=unit, kind=Kind.RETRACT, actor=actor, at=at, target=draw(_texts)))
            continue
        value = draw(_values)
        recorded = Recorded(
            id=draw(_texts) or f"e{i}",
            unit=unit,
            kind=type(value).__name__,
            value=value,
            actor=draw(st.just(actor) | _texts),
            at=at,
            seq=0,
        )
        steps.append(
            Step(
                seq=0,
                unit=unit,
                kind=Kind.RECORD,
                actor=actor if draw(st.booleans()) else draw(_texts),
                at=at,
                source=source,
                dest=source if draw(st.booleans()) else draw(_texts),
                evidence=recorded,
                key=draw(_texts) if other == "key" else "",
                count=draw(st.integers(1, 9)) if other == "count" else 0,
                event=draw(st.just("") | _texts),
                reason=draw(st.just("") | _texts),
            )
        )
    return steps


@settings(max_examples=200, deadline=None)
@given(
    steps=_steps(),
    heads=st.dictionaries(st.sampled_from(["u", "乡"]), _texts.map(lambda t: t.encode().hex())),
)
def test_any_steps_get_the_codecs_rows(steps: list[Step], heads: dict[str, str]) -> None:
    """Whatever the strings, values and kinds: the same rows, links and chain heads as ``chained_rows``."""
    seqs = list(range(5, 5 + len(steps)))
    found = []
    for rows in (log_rows, chained_rows):
        links: list[tuple[str, str]] = []
        after = dict(heads)
        found.append((list(rows(steps, seqs, after, links)), links, after))
    assert found[0] == found[1]


def test_a_value_the_encoder_refuses_raises_the_codecs_error() -> None:
    """An integer past 64 bits (orjson refuses it): the codec's StoreError, as before."""
    big = Recorded(id="e", unit="u", kind="Doc", value=Doc(2**70), actor="a", at="t", seq=0)
    step = Step(seq=0, unit="u", kind=Kind.RECORD, actor="a", at="t", evidence=big)
    with pytest.raises(cf.StoreError, match="cannot encode step data"):
        list(log_rows([step], [1], {}, []))


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
