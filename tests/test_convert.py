"""Faithful records: evidence reads back equal and of its types from every store; bad shapes refused."""

from __future__ import annotations

import enum
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import campaignflow as cf
from conftest import reset_pg

ACTOR = cf.Actor(id="op", roles={"clerk"})
NOW = datetime(2014, 3, 1, tzinfo=UTC)


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@attrs.frozen
class Inner:
    n: int
    label: str = ""


@attrs.frozen
class Everything:
    count: int
    hours: float
    note: str
    done: bool
    when: datetime
    day: date
    colour: Colour
    level: Level
    maybe: int | None = None
    tags: list[str] = attrs.Factory(list)
    nums: tuple[int, ...] = ()
    kinds: set[Colour] = attrs.Factory(set)
    frozen: frozenset[str] = frozenset()
    by_id: dict[int, int] = attrs.Factory(dict)
    by_name: dict[str, float] = attrs.Factory(dict)
    by_colour: dict[Colour, int] = attrs.Factory(dict)
    by_level: dict[Level, str] = attrs.Factory(dict)
    inner: Inner | None = None
    inners: tuple[Inner, ...] = ()


FULL = Everything(
    count=3,
    hours=2.5,
    note="谈心 ✓",
    done=True,
    when=datetime(2014, 2, 25, 9, 30, tzinfo=UTC),
    day=date(2014, 2, 24),
    colour=Colour.BLUE,
    level=Level.HIGH,
    maybe=7,
    tags=["a", "b"],
    nums=(1, 2, 3),
    kinds={Colour.RED, Colour.BLUE},
    frozen=frozenset({"x", "y"}),
    by_id={1: 5, 2: 6},
    by_name={"k": 1.5},
    by_colour={Colour.RED: 1},
    by_level={Level.LOW: "low"},
    inner=Inner(n=1, label="in"),
    inners=(Inner(n=2), Inner(n=3, label="z")),
)


def _campaign(*types: type[Any]) -> cf.Campaign:
    c = cf.Campaign("faithful")
    c.stages("a", "b")
    for tp in types:
        c.evidence(tp)
    c.transition("go", "a", "b", gate=cf.count_at_least(types[0], 1))
    return c


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """Each store in turn: a memory store, a SQLite file, a fresh PostgreSQL database."""
    if request.param == "memory":
        yield cf.MemoryStore()
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'f.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        reset_pg(url)
        yield url


def _same(a: object, b: object) -> bool:
    """Equal and of the same type, all the way down (``1 == 1.0`` and ``(1,) != [1]`` aside)."""
    if type(a) is not type(b) or a != b:
        return False
    if attrs.has(type(a)):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in attrs.fields(type(a)))
    if isinstance(a, list | tuple):
        return all(_same(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[call-overload]
    if isinstance(a, dict):  # equal dicts, whatever their order: keys and values of the same types
        theirs = {k: k for k in b}  # type: ignore[attr-defined]
        return all(_same(k, theirs[k]) and _same(v, b[k]) for k, v in a.items())  # type: ignore[index]
    if isinstance(a, set | frozenset):
        return sorted(map(repr, a)) == sorted(map(repr, b))  # type: ignore[call-overload]
    return True


class TestRoundTrip:
    def test_every_field_type_reads_back_equal_and_of_its_type(self, target: object) -> None:
        """Every kind of field reads back equal and of the same type, live and after reopening."""
        c = _campaign(Everything)
        run = c.start(["u"], store=target, clock=cf.FixedClock(start=NOW))
        run.record("u", FULL, by=ACTOR)
        live = run.evidence("u", Everything)[0].value
        again = c.open(["u"], target).evidence("u", Everything)[0].value
        assert _same(FULL, live)
        assert _same(FULL, again)
        assert c.verify(["u"], target).ok

    def test_int_for_float_is_kept_as_the_float_every_store_reads(self, target: object) -> None:
        """An int given for a float field is stored as that float on every store, the memory one too."""
        c = _campaign(Inner, Everything)
        run = c.start(["u"], store=target, clock=cf.FixedClock(start=NOW))
        run.record("u", attrs.evolve(FULL, hours=2), by=ACTOR)
        value = run.evidence("u", Everything)[0].value
        assert type(value.hours) is float
        assert _same(value, c.open(["u"], target).evidence("u", Everything)[0].value)

    def test_int_keys_gate_the_same_on_every_store(self, target: object) -> None:
        """A rule reading ``items[1]`` of a ``dict[int, int]`` passes on every store alike."""

        @attrs.frozen
        class Score:
            items: dict[int, int]

        c = cf.Campaign("scores")
        c.stages("a", "b")
        c.evidence(Score)

        @c.rule("first_item", reads=(Score,))
        def first_item(ctx: cf.Context) -> cf.Finding:
            return (
                cf.ok() if all(s.items[1] == 5 for s in ctx.evidence(Score)) else cf.fail("item 1 is not 5")
            )

        c.transition("go", "a", "b", gate=cf.all_of(cf.count_at_least(Score, 1), first_item))
        run = c.start(["u"], store=target, clock=cf.FixedClock(start=NOW))
        run.record("u", Score(items={1: 5}), by=ACTOR)
        assert run.check("u", "go").passed
        assert c.open(["u"], target).check("u", "go").passed


@attrs.frozen
class Plain:
    tags: list[str] = attrs.Factory(list)
    nums: tuple[int, ...] = ()
    hours: float = 0.0
    count: int = 0
    text: str = ""
    by_id: dict[int, int] = attrs.Factory(dict)
    inner: Inner = Inner(n=0)
    colour: Colour = Colour.RED


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"tags": "urgent"}, "tags", "list[str]"),
    ({"nums": 0}, "nums", "tuple[int, ...]"),
    ({"hours": None}, "hours", "float"),
    ({"hours": float("nan")}, "hours", "finite"),
    ({"hours": float("-inf")}, "hours", "finite"),
    ({"count": 2**64}, "count", "64 bits"),
    ({"count": -(2**63) - 1}, "count", "64 bits"),
    ({"count": True}, "count", "int"),
    ({"count": "3"}, "count", "int"),
    ({"text": "a\ud800b"}, "text", "surrogate"),
    ({"by_id": {"1": 5}}, "by_id", "dict[int, int]"),
    ({"inner": None}, "inner", "Inner"),
    ({"colour": "red"}, "colour", "Colour"),
    ({"tags": ["ok", 3]}, "tags", "list[str]"),
]


class TestRefused:
    @pytest.mark.parametrize(("fields", "field", "expected"), BAD)
    def test_a_contradicting_value_is_refused_naming_unit_class_field(
        self, target: object, fields: dict[str, Any], field: str, expected: str
    ) -> None:
        """A value contradicting its annotation is an EvidenceError naming it all, and nothing is written."""
        c = _campaign(Plain)
        run = c.start(["u-17"], store=target, clock=cf.FixedClock(start=NOW))
        value = Plain()
        for name, bad in fields.items():
            object.__setattr__(value, name, bad)  # past the class's own checks, as careless code gets
        with pytest.raises(cf.EvidenceError) as info:
            run.record("u-17", value, by=ACTOR)
        message = str(info.value)
        assert "'u-17'" in message
        assert "Plain" in message
        assert field in message
        assert expected in message
        assert (info.value.unit, info.value.kind, info.value.field) == ("u-17", "Plain", field)
        with pytest.raises(cf.EvidenceError):
            run.record_many([("u-17", Plain()), ("u-17", value)], by=ACTOR)
        assert run.history("u-17") == ()
        assert c.open(["u-17"], target).history("u-17") == ()


# Differential: generated evidence classes and values; every store reads, judges and hashes alike.

LEAVES: list[tuple[Any, st.SearchStrategy[Any]]] = [
    (int, st.integers(-(2**63), 2**63 - 1)),
    (float, st.floats(allow_nan=False, allow_infinity=False)),
    (str, st.text(st.characters(codec="utf-8", exclude_categories=("Cc",)), max_size=8)),
    (bool, st.booleans()),
    (date, st.dates()),
    (datetime, st.datetimes(max_value=datetime(2014, 1, 1), timezones=st.just(UTC))),  # noqa: DTZ001
    (Colour, st.sampled_from(Colour)),
    (Level, st.sampled_from(Level)),
]
KEYS: list[tuple[Any, st.SearchStrategy[Any]]] = [LEAVES[0], LEAVES[2], LEAVES[6], LEAVES[7]]


@st.composite
def field_types(draw: st.DrawFn, depth: int = 0) -> tuple[Any, st.SearchStrategy[Any]]:
    """A field annotation and a strategy of values that fit it."""
    choice = draw(st.integers(0, 7 if depth < 2 else 0))
    if choice <= 2:
        return draw(st.sampled_from(LEAVES))
    inner, values = draw(field_types(depth + 1))
    if choice == 3:
        return inner | None, st.none() | values
    if choice == 4:
        return list[inner], st.lists(values, max_size=3)  # type: ignore[valid-type]
    if choice == 5:
        return tuple[inner, ...], st.lists(values, max_size=3).map(tuple)  # type: ignore[valid-type]
    if choice == 6:
        key, keys = draw(st.sampled_from(KEYS))
        return dict[key, inner], st.dictionaries(keys, values, max_size=3)  # type: ignore[valid-type]
    cls, built = draw(classes(depth + 1))
    return cls, built


_made: list[int] = [0]


@st.composite
def classes(draw: st.DrawFn, depth: int = 0) -> tuple[type[Any], st.SearchStrategy[Any]]:
    """A generated frozen attrs class and a strategy of its instances."""
    fields = draw(st.lists(field_types(depth), min_size=1, max_size=4))
    _made[0] += 1
    cls = attrs.make_class(
        f"Gen{_made[0]}", {f"f{i}": attrs.field(type=tp) for i, (tp, _) in enumerate(fields)}, frozen=True
    )
    return cls, st.builds(cls, **{f"f{i}": s for i, (_, s) in enumerate(fields)})


@st.composite
def cases(draw: st.DrawFn) -> tuple[type[Any], list[Any]]:
    """An evidence class with sets too (sets of hashable leaves), and values of it."""
    cls, values = draw(classes())
    return cls, draw(st.lists(values, min_size=1, max_size=3))


def _snapshot(c: cf.Campaign, target: object, cls: type[Any]) -> tuple[Any, ...]:
    run = c.open(["u"], target, clock=cf.FixedClock(start=NOW))
    return (
        tuple(r.value for r in run.evidence("u", cls)),
        run.check("u", "next").to_dict(),
        tuple(s.hash for s in run.history("u")),
    )


def _targets(tmp: str, pg: str | None) -> list[object]:
    out: list[object] = [cf.MemoryStore(), f"sqlite:///{Path(tmp) / 'd.db'}"]
    if pg is not None:
        reset_pg(pg)
        out.append(pg)
    return out


def _differential(case: tuple[type[Any], list[Any]], pg: str | None) -> None:
    cls, values = case

    @attrs.frozen
    class Mark:
        n: int

    c = cf.Campaign("diff")
    c.stages("a", "b", "c")
    c.evidence(cls)
    c.evidence(Mark)

    @c.rule("reads_back", reads=(cls,))
    def reads_back(ctx: cf.Context) -> cf.Finding:
        seen = list(ctx.evidence(cls))
        return cf.ok() if all(_same(a, b) for a, b in zip(seen, values, strict=True)) else cf.fail("differs")

    c.transition("go", "a", "b", gate=cf.all_of(cf.count_at_least(Mark, 1), reads_back))
    c.transition("next", "b", "c", gate=cf.all_of(cf.count_at_least(Mark, 1), reads_back))
    with tempfile.TemporaryDirectory() as tmp:
        seen = []
        for target in _targets(tmp, pg):
            run = c.start(["u"], store=target, clock=cf.FixedClock(start=NOW), ids=cf.CountingIds())
            for value in values:
                run.record("u", value, by=ACTOR)
            live = tuple(r.value for r in run.evidence("u", cls))
            assert all(_same(a, b) for a, b in zip(live, values, strict=True))
            run.record("u", Mark(n=1), by=ACTOR)
            run.fire("u", "go", by=ACTOR)  # passes only if every value read back the same
            snap = _snapshot(c, target, cls)
            assert all(_same(a, b) for a, b in zip(snap[0], values, strict=True))
            assert c.verify(["u"], target).ok
            assert snap[1]["passed"]
            seen.append(snap)
        first = seen[0]
        for other in seen[1:]:
            assert other[1] == first[1]
            assert other[2] == first[2]


DIFF = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


class TestDifferential:
    @DIFF
    @given(cases())
    def test_memory_and_sqlite_agree(self, case: tuple[type[Any], list[Any]]) -> None:
        """Generated classes and values: memory and SQLite give equal reads, verdicts and chain hashes."""
        _differential(case, None)

    @DIFF
    @given(cases())
    def test_memory_sqlite_and_postgresql_agree(self, pg_url: str, case: tuple[type[Any], list[Any]]) -> None:
        """The same on PostgreSQL too."""
        _differential(case, pg_url)


def test_sets_are_written_in_one_order_whatever_the_process() -> None:
    """A set's members are written sorted, so two processes write the same bytes and hashes."""
    from campaignflow.store.convert import to_data  # noqa: PLC0415

    @attrs.frozen
    class Tagged:
        tags: frozenset[str]

    assert to_data(Tagged(tags=frozenset({"b", "c", "a"}))) == {"tags": ["a", "b", "c"]}


@attrs.frozen
class Guarded:
    hours: float = attrs.field(validator=attrs.validators.ge(0))


def test_the_classs_own_validator_refusing_on_the_way_back_is_an_evidence_error() -> None:
    """A value its class's validator refuses (mutated past it) is an EvidenceError, nothing written."""
    c = _campaign(Guarded)
    run = c.start(["u"], clock=cf.FixedClock(start=NOW))
    value = Guarded(hours=1)
    object.__setattr__(value, "hours", -1.0)
    with pytest.raises(cf.EvidenceError, match="'hours' must be >= 0") as info:
        run.record("u", value, by=ACTOR)
    assert (info.value.unit, info.value.kind) == ("u", "Guarded")
    assert run.history("u") == ()
