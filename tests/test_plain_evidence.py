"""The one-pass check of plain evidence (``store.plain``) against the whole way it stands in for.

``check_evidence`` takes the one pass for a class whose fields hold exactly their
annotated types; ``check_whole`` is the walk and msgspec's round trip it replaces.
Hypothesis draws values, good and hostile (past the class's own checks, as careless
code gets them), and both ways must keep the same value or refuse with the same error
and text; the stores must write the same bytes and hash chain whichever way checked.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import attr
import attrs
import msgspec
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.presets.mass_line import evidence as ml
from campaignflow.store import codec, convert, open_store, validate
from campaignflow.store.plain import plan
from conftest import reset_pg
from test_convert import Colour, Level, _same, field_types

NOW = datetime(2014, 3, 1, tzinfo=UTC)
ACTOR = cf.Actor(id="op", roles={"clerk"})


def _at_least(low: int) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    def check(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value < low:  # a str or None raises TypeError here: a refusal of its own wording
            msg = f"{attribute.name} must be at least {low}, got {value!r}"
            raise cf.EvidenceError(msg)

    return check


@attrs.frozen(kw_only=True)
class Mixed:
    """Every kind of field the one pass reads, with validators and a converter."""

    count: int = attrs.field(validator=_at_least(0))
    hours: float = attrs.field(default=1.0, validator=attrs.validators.ge(0))
    note: str = ""
    done: bool = False
    day: date | None = None
    colour: Colour = attrs.field(default=Colour.RED, converter=Colour)
    level: Level = Level.LOW
    tags: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    nums: tuple[int | None, ...] = ()


@attrs.frozen
class Pair:
    """A post-init that refuses: it runs on msgspec's copy, and on the one pass's."""

    a: str
    b: str

    def __attrs_post_init__(self) -> None:
        if self.a == self.b:
            msg = f"two different people, got {self.a!r} twice"
            raise cf.EvidenceError(msg)


@attrs.frozen
class Stripped:
    """A post-init that sets a field: a value it would change reads back as a different value."""

    text: str

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "text", self.text.strip())


@attrs.frozen
class Bare:
    """No validators: the one pass alone stands between each field and the log."""

    f: float = 0.5
    i: int = 1
    s: str = "s"
    b: bool = True
    d: date = date(2014, 1, 1)
    c: Colour = Colour.BLUE
    lv: Level = Level.HIGH
    t: tuple[str, ...] = ("t",)
    o: int | None = None
    of: tuple[float | None, ...] = (1.5, None)
    w: datetime = datetime(2014, 2, 1, tzinfo=UTC)
    wn: datetime | None = None


@attr.s(frozen=True, auto_attribs=True)
class Loose:
    """An older-style class: an instance ``__dict__``, which may hold only the fields."""

    n: int = 0
    text: str = "x"
    when: date | None = None


GOOD: list[object] = [
    Bare(),
    Loose(n=2),
    Mixed(count=3, hours=2.5, note="谈心 ✓", done=True, day=date(2014, 2, 1), tags=["a"], nums=(1, None)),
    Pair(a="x", b="y"),
    Stripped(text=" kept "),
    ml.MobilisationMeeting(chaired_by="书记", attendees=40, held_on=date(2014, 2, 1)),
    ml.StudySession(hours=2.0, readings=("论群众路线",), attendees=("p1", "p2")),
    ml.MemberNotes(member="p1"),
    ml.Opinion(source="form", category="作风"),
    ml.Problem(category="formalism", description="会多"),
    ml.Talk(a="p1", b="p2"),
    ml.SelfInspection(author="p1", revision=2),
    ml.SupervisionApproval(revision=2),
    ml.Criticism(source="p1", target="p2"),
    ml.PublicEvaluation(score=91.5, respondents=120),
    ml.LedgerItem(item="i1", matter="路灯", department="民政", person="p3", deadline=date(2014, 5, 1)),
    ml.LedgerClosure(item="i1", accepted=True),
    ml.AdoptedRule(title="《行为规范》"),
    ml.Satisfaction(score=97.0, respondents=300),
    ml.MaterialsIssued(members=("p1", "p2")),
    ml.Visit(leader="县长"),
    ml.DiaryEntry(cadre="p4"),
    ml.HouseholdLink(cadre="p4", households=("h1", "h2")),
]

TEXTS = st.one_of(
    st.text(max_size=6),
    st.text(st.characters(exclude_categories=()), max_size=4),  # surrogates and controls too
    st.sampled_from(["", " ", "a\x00b", "\ud800", "\r\n\t", "x" * 100_001, "\x7f", "a" * 100_000]),
)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(2**63 - 2, 2**64),
    st.floats(),
    TEXTS,
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(UTC)),
    st.sampled_from([*Colour, *Level, *ml.Source, *ml.FourWinds, "red", 1, 2, 0]),
)
HOSTILE = st.one_of(
    LEAVES,
    st.lists(LEAVES, max_size=3).map(tuple),
    st.lists(LEAVES, max_size=3),
    st.dictionaries(st.text(max_size=2), LEAVES, max_size=2),
    st.frozensets(st.integers(), max_size=2),
    st.sampled_from([("a",) * 10_001, object(), Pair(a="x", b="y"), b"bytes"]),
)


class Offsetless(tzinfo):
    """A timezone that gives no offset: comparing its times with an aware one raises TypeError."""

    def utcoffset(self, _: datetime | None) -> None:
        return None


class Moment(datetime):
    """A datetime subclass: not exactly its annotated type."""


MOMENTS: list[Any] = [
    NOW,
    NOW + timedelta(days=1),  # the slack's last moment
    NOW + timedelta(days=1, microseconds=1),
    datetime(2014, 3, 1, 8, tzinfo=timezone(timedelta(hours=8))),
    datetime(2014, 3, 1, tzinfo=ZoneInfo("Asia/Shanghai")),
    datetime(2014, 3, 1),  # noqa: DTZ001 - naive, refused
    datetime(2014, 3, 1, tzinfo=Offsetless()),
    Moment(2014, 3, 1, tzinfo=UTC),
    date(2014, 3, 1),
    "2014-03-01T00:00:00+00:00",
]

EDGES: dict[Any, st.SearchStrategy[Any]] = {
    float: st.floats() | st.sampled_from([float("inf"), float("-inf"), float("nan"), -0.0, 1e308, 3, True]),
    int: st.integers() | st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, True, 1.0, Level.LOW]),
    str: TEXTS | st.sampled_from([Colour.RED, ml.Source.FORM, b"s"]),
    bool: st.booleans() | st.sampled_from([0, 1, None]),
    date: st.dates() | st.datetimes(timezones=st.none() | st.just(UTC)),
    datetime: st.datetimes(timezones=st.none() | st.just(UTC)) | st.sampled_from(MOMENTS),
}


def _near(tp: Any) -> st.SearchStrategy[Any]:
    """Values of about the type ``tp``: its edges and its near misses."""
    args = typing.get_args(tp)
    if tp in EDGES:
        return EDGES[tp]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from([*tp, *(m.value for m in tp), *Colour, *Level, "red", 2])
    if typing.get_origin(tp) is tuple and args:
        inner = _near(args[0])
        return st.lists(inner, max_size=3).map(tuple) | st.lists(inner, max_size=2) | st.just(("a",) * 10_001)
    if args:  # X | None
        return st.none() | st.one_of([_near(a) for a in args if a is not type(None)])
    return HOSTILE


@st.composite
def tampered(draw: st.DrawFn, base: st.SearchStrategy[object]) -> object:
    """A value of ``base``, some fields set past its class's checks to hostile values."""
    value = draw(base)
    cls = type(value)
    attrs.resolve_types(cls)
    fields = attrs.fields(cls)
    for f in draw(st.lists(st.sampled_from(fields), max_size=2, unique=True)):
        object.__setattr__(value, f.name, draw(_near(f.type) | HOSTILE))
    return value


def _copy(value: object) -> object:
    """A fresh instance holding the same field values (each draw tampers its own)."""
    fresh = object.__new__(type(value))
    for f in attrs.fields(type(value)):
        object.__setattr__(fresh, f.name, getattr(value, f.name))
    return fresh


def _outcome(check: Callable[[str, object, datetime], Any], value: object) -> tuple[Any, ...]:
    """What a way of checking made of ``value``: the kept value and its stored bytes, or the refusal."""
    try:
        kept = check("u-7", value, NOW)
    except Exception as exc:  # noqa: BLE001 - every refusal is compared, whatever its type
        return ("refused", type(exc), str(exc), *(getattr(exc, a, None) for a in ("unit", "kind", "field")))
    try:
        body = codec.canonical({"value": codec.encode_value(kept)})
    except Exception as exc:  # noqa: BLE001 - a value kept but not storable must be so both ways
        body = (type(exc), str(exc))
    return ("kept", kept, body)


def _agree(value: object) -> None:
    whole = _outcome(validate.check_whole, value)
    one = _outcome(validate.check_evidence, value)
    if whole[0] == "kept":
        assert one[0] == "kept", one
        assert _same(one[1], whole[1])
        assert one[2] == whole[2]
        assert getattr(one[1], "__dict__", None) == getattr(whole[1], "__dict__", None)  # nothing but fields
    else:
        assert one == whole


_made = [0]


@st.composite
def slotted_cases(draw: st.DrawFn) -> tuple[type[Any], list[Any]]:
    """A generated frozen class (slotted or not; plain fields or not) and good values of it."""
    fields = draw(st.lists(field_types(), min_size=1, max_size=4))
    _made[0] += 1
    cls = attrs.make_class(
        f"Slotted{_made[0]}",
        {f"f{i}": attrs.field(type=tp) for i, (tp, _) in enumerate(fields)},
        frozen=True,
        slots=draw(st.booleans()),
    )
    built = st.builds(cls, **{f"f{i}": values for i, (_, values) in enumerate(fields)})
    return cls, draw(st.lists(built, min_size=1, max_size=3))


PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class TestSameOutcome:
    @PROPERTY
    @given(tampered(st.sampled_from(GOOD).map(_copy)))
    def test_hand_written_classes_keep_or_refuse_alike(self, value: object) -> None:
        """Validators, converters, post-inits and enums: the same value kept, or the same refusal."""
        _agree(value)

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(slotted_cases().flatmap(lambda case: tampered(st.sampled_from(case[1]))))
    def test_generated_classes_keep_or_refuse_alike(self, value: object) -> None:
        """Generated classes (plain or not: lists, dicts, sets, datetimes, nesting) alike too."""
        _agree(value)

    @pytest.mark.parametrize("name", [f.name for f in attrs.fields(Bare)])
    def test_each_edge_of_each_field_alike(self, name: str) -> None:
        """Every limit of every kind of field (lengths, 64 bits, finiteness, exact types), one by one."""
        tp = attrs.fields_dict(Bare)[name].type
        edges = {
            float: [float("inf"), float("-inf"), float("nan"), -0.0, 1e308, 3, True, None, "1.5"],
            int: [2**63 - 1, 2**63, -(2**63), -(2**63) - 1, True, 1.0, Level.LOW, None, "1"],
            str: ["", "a\x00", "\ud800", "\x7f\r\n\t", "x" * 100_000, "x" * 100_001, Colour.RED, None, b"s"],
            bool: [0, 1, None, "true"],
            date: [date.min, datetime(2014, 1, 1, tzinfo=UTC), datetime(2014, 1, 1), None],  # noqa: DTZ001
            Colour: [*Colour, "red", Level.LOW, None],
            Level: [*Level, 1, True, Colour.RED, None],
            tuple[str, ...]: [(), ("a",) * 10_000, ("a",) * 10_001, ["a"], ("a", 1), ("\x00",), "a", None],
            int | None: [None, 2**63, True, "1"],
            tuple[float | None, ...]: [(None, 1.0), (float("nan"),), (1,), [1.0], None],
            datetime: MOMENTS,
            datetime | None: [None, *MOMENTS],
        }[tp]
        for edge in edges:
            value = Bare()
            object.__setattr__(value, name, edge)
            _agree(value)

    def test_an_instance_dict_holding_more_than_the_fields_goes_the_whole_way(self) -> None:
        """msgspec's copy of an older-style value holds the fields only: so does what is kept."""
        value = Loose(n=1)
        object.__setattr__(value, "extra", 5)
        _agree(value)
        assert not hasattr(validate.check_evidence("u", value, NOW), "extra")

    def test_good_values_take_the_one_pass(self) -> None:
        """The values above are the one pass's: it gives them back without the round trip."""
        for value in GOOD:
            found = plan(type(value))
            assert found is not None, type(value)
            assert found.back(value, NOW) == value

    def test_a_value_the_post_init_changes_is_refused_as_the_whole_way_refuses(self) -> None:
        value = Stripped(text="x")
        object.__setattr__(value, "text", " x ")
        with pytest.raises(cf.EvidenceError, match="reads back as a different value"):
            validate.check_evidence("u", value, NOW)


class Flags(enum.Flag):
    A = 1
    B = 2


class Huge(enum.IntEnum):
    BIG = 2**70


class Lone(enum.Enum):
    BAD = "\ud800"


def _cls(tp: Any, **kw: Any) -> type[Any]:
    return attrs.make_class("C", {"x": attrs.field(type=tp)}, **{"slots": True, **kw})


@attrs.frozen
class Base:
    x: int


class Undecorated(Base):
    def __init__(self, x: int) -> None:
        super().__init__(x)


@attrs.frozen
class Private:
    _x: int


@attrs.frozen
class Uninit:
    x: int = attrs.field(init=False, default=0)


@attrs.frozen
class OwnEq:
    x: int

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__


@attrs.frozen
class Answering:
    x: int

    def __getattr__(self, name: str) -> int:
        return 0


@attrs.frozen
class PreInit:
    x: int

    def __attrs_pre_init__(self) -> None:
        pass


WHOLE_WAY: list[type[Any]] = [
    _cls(int, frozen=False),  # mutable
    _cls(int, frozen=True, cache_hash=True),  # msgspec's copy has no cached hash
    _cls(list[str], frozen=True),
    _cls(dict[str, int], frozen=True),
    _cls(tuple[datetime, ...], frozen=True),
    _cls(Any, frozen=True),
    _cls(Annotated[int, msgspec.Meta(ge=0)], frozen=True),
    _cls(Base, frozen=True),
    _cls(int | str, frozen=True),
    _cls(tuple[int], frozen=True),
    _cls(Flags, frozen=True),
    _cls(Huge, frozen=True),  # msgspec refuses enum values outside 64 bits
    _cls(Lone, frozen=True),  # a surrogate value has no UTF-8 form
    attrs.make_class("Empty", {}, frozen=True, slots=True),  # nothing to read: attrgetter needs a name
    Undecorated,
    Private,
    Uninit,
    OwnEq,
    Answering,
    PreInit,
]


class TestWholeWay:
    @pytest.mark.parametrize("cls", WHOLE_WAY, ids=lambda c: repr(getattr(c, "__attrs_attrs__", c)))
    def test_classes_the_pass_cannot_vouch_for_go_the_whole_way(self, cls: type[Any]) -> None:
        assert plan(cls) is None

    def test_their_values_keep_or_refuse_alike(self) -> None:
        for cls in WHOLE_WAY:
            fields = attrs.fields(cls)
            value = cls(**{f.alias: 1 for f in fields if f.init})
            _agree(value)

    def test_an_unslotted_cached_hash_goes_the_whole_way(self) -> None:
        """Its cache is in the instance ``__dict__``: more than the fields, so the whole way takes it."""
        cls = _cls(int, frozen=True, slots=False, cache_hash=True)
        value = cls(1)
        hash(value)
        found = plan(cls)
        assert found is not None
        assert found.back(value, NOW) is None
        _agree(value)

    def test_a_missing_field_goes_the_whole_way(self) -> None:
        """A slot left unset (a value built around ``__init__``): the whole way's AttributeError."""
        value = object.__new__(Bare)
        assert _outcome(validate.check_evidence, value) == _outcome(validate.check_whole, value)
        assert _outcome(validate.check_whole, value)[1] is AttributeError

    def test_an_enum_the_whole_way_refuses_is_refused_alike(self) -> None:
        for value in (_cls(Huge, frozen=True)(Huge.BIG), _cls(Lone, frozen=True)(Lone.BAD)):
            assert _outcome(validate.check_evidence, value) == _outcome(validate.check_whole, value)
            assert _outcome(validate.check_whole, value)[0] == "refused"


def _counting(monkeypatch: pytest.MonkeyPatch, owner: object, name: str, counts: dict[str, int]) -> None:
    inner = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        counts[name] = counts.get(name, 0) + 1
        return inner(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)


seen: list[int] = []


def _noted(_: object, __: attrs.Attribute[Any], value: int) -> None:
    seen.append(value)


@attrs.frozen
class Noted:
    n: int = attrs.field(validator=_noted)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_record_is_validated_once_and_encoded_once(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``record_many``: the class's validators once per record after building, one encoding, no round trip."""
    c = cf.Campaign("once")
    c.stages("a", "b")
    c.evidence(Noted)
    c.transition("go", "a", "b")
    units = [f"u{i}" for i in range(20)]
    target = cf.MemoryStore() if kind == "memory" else f"sqlite:///{tmp_path / 'o.db'}"
    run = c.start(units, store=target, clock=cf.FixedClock(start=NOW))
    items = [(u, Noted(n=i)) for i, u in enumerate(units)]
    seen.clear()
    counts: dict[str, int] = {}
    _counting(monkeypatch, convert, "to_data", counts)
    _counting(monkeypatch, codec, "to_data", counts)
    _counting(monkeypatch, convert, "from_data", counts)
    run.record_many(items, by=ACTOR)
    if kind == "memory":
        list(run.store.steps())  # the memory store hashes (and so encodes) a step when first read
    assert seen == list(range(20))
    assert counts == {"to_data": 20}
    monkeypatch.undo()
    assert [r.value for u in units for r in c.open(units, target).evidence(u, Noted)] == [v for _, v in items]


# Differential: the stores write the same bytes and chain whichever way checked the evidence.


def _whole_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate, "_PLANS", {})
    monkeypatch.setattr(validate, "plan", lambda _cls: None)


KINDS = list(dict.fromkeys(type(v) for v in GOOD))  # in GOOD's order, every run alike
CAMPAIGN = cf.Campaign("plain-diff")
CAMPAIGN.stages("a", "b")
for _tp in KINDS:
    CAMPAIGN.evidence(_tp)
CAMPAIGN.transition("go", "a", "b", gate=cf.count_at_least(ml.Talk, 1))
UNITS = ["u1", "u2", "u3"]


def _write(target: cf.Store | str) -> None:
    run = CAMPAIGN.start(
        UNITS, store=target, clock=cf.FixedClock(start=NOW, step=timedelta(0)), ids=cf.CountingIds()
    )
    run.record_many([(u, v) for u in UNITS for v in GOOD], by=ACTOR)
    for value in GOOD[:4]:
        run.record("u1", value, by=ACTOR)
    run.fire_many(UNITS, "go", by=ACTOR)


def _log(target: cf.Store | str) -> list[tuple[int, bytes, str, str]]:
    store = open_store(target, evidence_types=CAMPAIGN.build().evidence_types)
    return [(s.seq, codec.step_bytes(s), s.prev_hash, s.hash) for s in store.steps()]


def _bodies(url: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = [
            tuple(r)
            for r in conn.exec_driver_sql("SELECT seq, body, prev_hash, hash FROM cf_steps ORDER BY seq")
        ]
    engine.dispose()
    return rows


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two fresh SQL targets of one kind: one written each way."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'one.db'}", f"sqlite:///{tmp_path / 'whole.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        yield url, url


def _written(url: str, *, fresh_pg: bool) -> tuple[Any, ...]:
    """The raw rows and the log of ``url`` and the log of a memory store, after the same writes."""
    if fresh_pg:
        reset_pg(url)
    memory = cf.MemoryStore()
    _write(memory)
    _write(url)
    assert CAMPAIGN.verify(UNITS, url).ok
    return _bodies(url), _log(url), _log(memory)


def test_every_store_writes_the_same_bytes_and_chain_either_way(
    sql_pair: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory, SQLite and PostgreSQL: the same bodies, raw rows and hashes, one pass or the whole way."""
    one_url, whole_url = sql_pair
    pg = one_url == whole_url  # one PostgreSQL database, written afresh each way
    one = _written(one_url, fresh_pg=pg)
    kept = [r.value for r in CAMPAIGN.open(UNITS, one_url).evidence("u1", Mixed)]
    with monkeypatch.context() as patched:
        _whole_way(patched)
        whole = _written(whole_url, fresh_pg=pg)
    assert one == whole
    assert one[1] == one[2]  # the SQL store's log is the memory store's
    assert len(one[1]) == len(UNITS) * (len(GOOD) + 1) + 4
    assert len(kept) == 2
    assert all(_same(value, GOOD[2]) for value in kept)


def test_memory_holds_what_sqlite_reads_back(tmp_path: Path) -> None:
    """What the memory store holds after the one pass is what SQLite reads back after reopening."""
    url = f"sqlite:///{tmp_path / 'k.db'}"
    memory = cf.MemoryStore()
    for target in (memory, url):
        _write(target)
    for unit in UNITS:
        for tp in KINDS:
            live = [r.value for r in CAMPAIGN.open(UNITS, memory).evidence(unit, tp)]
            again = [r.value for r in CAMPAIGN.open(UNITS, url).evidence(unit, tp)]
            assert len(live) == len(again) > 0
            assert all(_same(a, b) for a, b in zip(live, again, strict=True))
