"""The hot path's constructors and clock text make exactly what the plain ones make:
steps, verdicts and rows built through their slots, ISO times formatted once per second,
and a single fire's own path beside the full one."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta, timezone

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from campaignflow.run.clock import iso
from campaignflow.store._base import UnitRow, row_of
from campaignflow.values.findings import Finding, Status, Verdict, verdict_of
from campaignflow.values.records import Kind, Step, fire_step

text = st.text(max_size=8)


def _slots(value: object) -> dict[str, object]:
    """Every field of an attrs value, read from its slots (a lazy verdict's unbuilt ones too)."""
    return {a.name: getattr(value, a.name) for a in attrs.fields(type(value))}


@given(
    unit=text,
    kind=st.sampled_from([Kind.FIRE, Kind.DENY]),
    actor=text,
    at=text,
    event=text,
    source=text,
    dest=text,
    reason=text,
    key=text,
)
def test_fire_step_is_the_constructors_step(  # noqa: PLR0917 - one per field
    unit: str, kind: Kind, actor: str, at: str, event: str, source: str, dest: str, reason: str, key: str
) -> None:
    """fire_step sets every field as Step(...) does, defaults included."""
    verdict = Verdict(unit=unit, event=event, stage=source, root=Finding(rule="g"))
    fast = fire_step(unit, kind, actor, at, event, source, dest, verdict, reason, key)
    plain = Step(
        seq=0,
        unit=unit,
        kind=kind,
        actor=actor,
        at=at,
        event=event,
        source=source,
        dest=dest,
        verdict=verdict,
        reason=reason,
        key=key,
    )
    assert (type(fast), _slots(fast), hash(fast)) == (Step, _slots(plain), hash(plain))
    assert fast == plain


@given(
    unit=text,
    event=text,
    stage=text,
    at=text,
    lazy=st.booleans(),
    status=st.sampled_from(list(Status)),
)
def test_verdict_of_is_the_constructors_verdict(  # noqa: PLR0917 - one per field
    unit: str, event: str, stage: str, at: str, lazy: bool, status: Status
) -> None:
    """verdict_of sets every field as Verdict(...) does, a lazy one's builder included."""
    root = Finding(rule="g", status=status)
    given_root = {"build": lambda: root} if lazy else {"root": root}
    plain = Verdict(unit=unit, event=event, stage=stage, at=at, labels=None, **given_root)  # type: ignore[arg-type]
    fast = verdict_of(unit, event, stage, at, None, given_root.get("root"), given_root.get("build"))  # type: ignore[arg-type]
    assert _slots(fast) == _slots(plain)
    assert (fast.passed, fast.root, fast) == (plain.passed, plain.root, plain)


def test_verdict_of_needs_a_root_or_a_builder() -> None:
    """Without root or build, verdict_of refuses as Verdict(...) does."""
    try:
        verdict_of("u", "go", "a", "", None)
    except TypeError as exc:
        assert "root=" in str(exc)  # noqa: PT017 - the message, as the constructor's
    else:
        raise AssertionError


@given(
    unit=text,
    stage=text,
    version=st.integers(0, 10**6),
    reworks=st.dictionaries(text, st.integers(0, 9), max_size=3),
    fired=st.lists(text, max_size=3).map(tuple),
    blocked=st.none() | st.fixed_dictionaries({"event": text}),
    head=text,
)
def test_row_of_is_the_constructors_row(  # noqa: PLR0917 - one per field
    unit: str,
    stage: str,
    version: int,
    reworks: dict[str, int],
    fired: tuple[str, ...],
    blocked: dict[str, str] | None,
    head: str,
) -> None:
    """row_of sets every field as UnitRow(...) does."""
    fast = row_of(unit, stage, version, reworks, fired, blocked, head)
    plain = UnitRow(
        unit=unit, stage=stage, version=version, reworks=reworks, fired=fired, blocked=blocked, head=head
    )
    assert (type(fast), _slots(fast), fast) == (UnitRow, _slots(plain), plain)


# Hypothesis takes naive bounds; a day inside datetime's range, for the zones below.
EARLIEST, LATEST = datetime(1, 1, 2), datetime(9999, 12, 30)  # noqa: DTZ001
zones = st.sampled_from([UTC, timezone(timedelta(0)), timezone(timedelta(hours=8)), None])


@settings(max_examples=300)
@given(
    moments=st.lists(
        st.tuples(st.datetimes(min_value=EARLIEST, max_value=LATEST), zones),
        min_size=1,
        max_size=20,
    ),
    close=st.lists(st.integers(-2_000_000, 2_000_000), max_size=20),
)
def test_iso_is_isoformat(moments: list[tuple[datetime, timezone | None]], close: list[int]) -> None:
    """iso() gives isoformat()'s text for any time, zone and order of calls, within a second or not."""
    times = [dt.replace(tzinfo=tz) for dt, tz in moments]
    base = times[0]
    times += [base + timedelta(microseconds=us) for us in close if base.tzinfo is UTC]
    times += [base.replace(microsecond=0), base.replace(microsecond=0) + timedelta(seconds=1)]
    assert [iso(t) for t in times] == [t.isoformat() for t in times]


def test_iso_of_a_datetime_subclass_is_its_own_isoformat() -> None:
    """A subclass's isoformat is called, never bypassed by the per-second text."""

    class Shown(datetime):
        def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
            return "shown"

    now = datetime(2014, 2, 24, 9, 0, 0, 5, tzinfo=UTC)
    assert (iso(now), iso(Shown(2014, 2, 24, 9, 0, 0, 6, tzinfo=UTC))) == (now.isoformat(), "shown")


def test_iso_frees_nothing_a_host_froze() -> None:
    """Formatting a new second replaces nothing the collector tracks, so a host's gc.freeze() keeps all."""
    iso(datetime(2014, 2, 24, 9, 0, 0, tzinfo=UTC))
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        texts = [iso(datetime(2014, 2, 24, 9, 0, s, 5, tzinfo=UTC)) for s in range(1, 4)]
        assert (gc.get_freeze_count(), texts[-1]) == (frozen, "2014-02-24T09:00:03.000005+00:00")
    finally:
        gc.unfreeze()
