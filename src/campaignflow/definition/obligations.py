"""Recurring obligations: a duty of people with a role, toward a set of units, every period.

"县领导每周深入乡村" is ``Obligation(role="leadership", via="contacts",
every=timedelta(weeks=1), evidence=Visit, by="leader")``: each person with the
role owes, for each of their contact points, one fulfilling ``Visit`` recorded
at that unit per week. The run clock decides "now"; :func:`judge` decides
done / due / overdue from the fulfilment times alone, so that it can be
property-tested apart from any run.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

import attrs

from campaignflow.definition.context import evidence_name, names
from campaignflow.exceptions import DefinitionError

if TYPE_CHECKING:
    from campaignflow.definition.context import RunView
    from campaignflow.org.graph import Org
    from campaignflow.values.records import Recorded

VIA = ("contacts", "own", "children", "administers")
"""How an obligation reaches its units from a person: contact points (联系点), the
unit the person belongs to, or the units directly below it (``"children"``, also
spelled ``"administers"`` after the org's edge)."""


Cadence = Literal["week", "month", "quarter"]
CADENCES: tuple[Cadence, ...] = ("week", "month", "quarter")
"""Calendar periods ``every=`` accepts beside a timedelta: weeks from Monday, months, quarters."""


def calendar_ordinal(moment: datetime, cadence: str, tz: tzinfo | None) -> int:
    """The number of the calendar period holding ``moment`` (in time zone ``tz``)."""
    local = moment.astimezone(tz)
    if cadence == "week":
        return (local.date().toordinal() - 1) // 7  # date(1, 1, 1) was a Monday
    months = local.year * 12 + local.month - 1
    return months if cadence == "month" else months // 3


def calendar_start(ordinal: int, cadence: str, tz: tzinfo | None) -> datetime:
    """The first moment of calendar period ``ordinal`` (midnight in ``tz``)."""
    if cadence == "week":
        day = date.fromordinal(ordinal * 7 + 1)
    else:
        months = ordinal if cadence == "month" else ordinal * 3
        day = date(months // 12, months % 12 + 1, 1)
    return datetime.combine(day, time(0), tzinfo=tz)


class Standing(StrEnum):
    """Where one person's obligation toward one unit stands at a moment."""

    NOT_STARTED = "not_started"  # before the obligation's first period
    DONE = "done"  # fulfilled in the current period
    DUE = "due"  # not yet fulfilled, no deadline passed
    OVERDUE = "overdue"  # a deadline passed with nothing fulfilling since its period began


@attrs.frozen(kw_only=True)
class Obligation:
    """A recurring duty, declared with :meth:`Campaign.obligation`.

    Attributes:
        id: the obligation id (``"contact_visits"``).
        label: the seed wording (``"县领导每周深入联系点"``).
        role: the people role that owes it.
        via: ``"contacts"`` (the person's contact points), ``"own"`` (the units the
            person holds the role at) or ``"children"`` (the units directly below those).
        every: the period length, or a calendar period (``"week"`` from Monday,
            ``"month"``, ``"quarter"``) in the time zone of ``starts`` (the
            campaign's); the first period runs from ``starts`` to the end of
            its calendar period.
        grace: how long after a period ends its duty may still be fulfilled.
        starts: the start of the first period (aware).
        ends: when the last period ends (``None``: never).
        evidence: the fulfilling evidence type, recorded at the target unit.
        by: the evidence field naming the person (a person id, or a collection of them).
        when: an evidence field holding the time it happened (a ``date`` or aware
            ``datetime``); ``None`` uses the time it was recorded.
        where: an optional predicate the evidence value must satisfy.
    """

    id: str
    label: str
    role: str
    via: str
    every: timedelta | Cadence
    grace: timedelta
    starts: datetime
    ends: datetime | None
    evidence: type[Any]
    by: str
    when: str | None = None
    where: Callable[[Any], bool] | None = None

    @property
    def kind(self) -> str:
        """The stored name of the fulfilling evidence type."""
        return evidence_name(self.evidence)

    def periods(self) -> int | None:
        """How many periods there are (``None`` when the obligation never ends)."""
        if self.ends is None:
            return None
        if isinstance(self.every, timedelta):
            return max(1, -(-(self.ends - self.starts) // self.every))
        return max(1, self.index(self.ends - timedelta(microseconds=1)) + 1)

    def index(self, moment: datetime) -> int:
        """The period holding ``moment`` (0 is the first; negative before ``starts``)."""
        if isinstance(self.every, timedelta):
            return (moment - self.starts) // self.every
        if moment < self.starts:
            return -1
        tz = self.starts.tzinfo
        return calendar_ordinal(moment, self.every, tz) - calendar_ordinal(self.starts, self.every, tz)

    def period_start(self, index: int) -> datetime:
        """The start of period ``index`` (0 is the first)."""
        if isinstance(self.every, timedelta):
            return self.starts + index * self.every
        if index <= 0:
            return self.starts
        tz = self.starts.tzinfo
        return calendar_start(calendar_ordinal(self.starts, self.every, tz) + index, self.every, tz)

    def deadline(self, index: int) -> datetime:
        """When period ``index``'s duty becomes overdue: its end plus the grace."""
        return self.period_start(index + 1) + self.grace

    def persons_at(self, org: Org, target: str) -> tuple[str, ...]:
        """The people who owe this obligation toward ``target``."""
        if self.via == "own":
            return org.people(target, self.role)
        if self.via == "children":
            parent = org.parent(target)
            return () if parent is None else org.people(parent, self.role)
        return tuple(p for p in org.contacted_by(target) if self.role in org.all_roles(p))

    def targets_of(self, org: Org, person: str, home: str) -> tuple[str, ...]:
        """The units ``person`` (holding the role at ``home``) owes this obligation toward."""
        if self.via == "own":
            return (home,)
        if self.via == "children":
            return org.children(home)
        return org.contacts(person)


def make_obligation(
    id: str,  # noqa: A002
    *,
    role: str,
    via: str,
    every: timedelta | Cadence,
    evidence: type[Any],
    by: str,
    starts: datetime,
    grace: timedelta = timedelta(0),
    ends: datetime | None = None,
    when: str | None = None,
    where: Callable[[Any], bool] | None = None,
    label: str = "",
) -> Obligation:
    """Validate an obligation's declaration; every problem raises :class:`DefinitionError`."""
    problems = _problems(id, via=via, every=every, grace=grace, starts=starts, ends=ends)
    if not isinstance(role, str) or not role.strip():
        problems.append(f"role={role!r}: name the people's role, e.g. role='leadership'")
    given: object = evidence
    if not isinstance(given, type):
        problems.append(f"evidence={evidence!r}: pass the evidence class")
    elif (fields := _fields(given)) is None:
        problems.append(
            f"evidence={given.__name__}: use an attrs class with a field naming the person (by=...)"
        )
    else:
        for name, value in (("by", by), ("when", when)):
            if value is not None and value not in fields:
                problems.append(f"{name}={value!r}: {given.__name__} has no such field ({', '.join(fields)})")
    if problems:
        msg = f"obligation {id!r}: " + "; ".join(problems)
        raise DefinitionError(msg, problems=tuple(problems))
    return Obligation(
        id=id,
        label=label or id,
        role=role,
        via="children" if via == "administers" else via,
        every=every,
        grace=grace,
        starts=starts,
        ends=ends,
        evidence=evidence,
        by=by,
        when=when,
        where=where,
    )


def _problems(
    id: str,  # noqa: A002
    *,
    via: str,
    every: timedelta | str,
    grace: timedelta,
    starts: datetime,
    ends: datetime | None,
) -> list[str]:
    problems: list[str] = []
    if not isinstance(id, str) or not id.strip():
        problems.append("needs a non-empty string id")
    if via not in VIA:
        problems.append(f"via={via!r}: use one of {', '.join(VIA)}")
    if (isinstance(every, str) and every not in CADENCES) or not isinstance(every, str | timedelta):
        problems.append(f"every={every!r}: use {', '.join(map(repr, CADENCES))} or a positive timedelta")
    elif isinstance(every, timedelta) and every <= timedelta(0):
        problems.append(f"every={every!r}: use a positive timedelta, e.g. timedelta(weeks=1)")
    if not isinstance(grace, timedelta) or grace < timedelta(0):
        problems.append(f"grace={grace!r}: use a timedelta ≥ 0")
    aware = isinstance(starts, datetime) and starts.tzinfo is not None
    if not aware:
        problems.append(f"starts={starts!r}: use an aware datetime (tzinfo=UTC)")
    if ends is not None and (
        not isinstance(ends, datetime) or ends.tzinfo is None or (aware and ends <= starts)
    ):
        problems.append(f"ends={ends!r}: use an aware datetime after starts")
    return problems


def _fields(tp: type[Any]) -> tuple[str, ...] | None:
    if attrs.has(tp):
        return tuple(a.name for a in attrs.fields(tp))
    annotations = getattr(tp, "__annotations__", None)
    return tuple(annotations) if annotations else None


def as_time(value: object, fallback: datetime) -> datetime:
    """An evidence time: aware datetimes as given, naive ones and dates taken as UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=UTC)
    if isinstance(value, str):
        return as_time(datetime.fromisoformat(value), fallback)
    return fallback


# ---------------------------------------------------------------- judging


@attrs.frozen(kw_only=True)
class Judgement:
    """:func:`judge`'s answer for one person and one unit.

    Attributes:
        standing: done, due, overdue or not started.
        period: the index of the current period (``-1`` before the first).
        deadline: for ``due``, when it becomes overdue; for ``overdue``, the
            deadline that passed; ``None`` otherwise.
        last: the latest fulfilment at or before now.
        missed: periods whose deadline passed with no fulfilment inside the period
            or its grace.
        overdue_since: for ``overdue``, the first deadline of the periods left
            unfulfilled since the latest fulfilment (the deadline of the first
            period with nothing since its start); ``None`` otherwise.
        overdue_periods: for ``overdue``, how many periods' deadlines have passed
            since then with nothing fulfilling them; 0 otherwise.
    """

    standing: Standing
    period: int
    deadline: datetime | None
    last: datetime | None
    missed: int
    overdue_since: datetime | None = None
    overdue_periods: int = 0


def judge(ob: Obligation, times: Sequence[datetime], now: datetime) -> Judgement:
    """Where ``ob`` stands at ``now`` given the fulfilment times (any order).

    Period ``k`` runs from ``starts + k·every`` to ``starts + (k+1)·every``; its
    deadline is its end plus ``grace``. At ``now`` the duty is

    - ``done`` when a fulfilment falls in the current period (up to now);
    - ``overdue`` when some period's deadline has passed and nothing fulfilled it
      from that period's start until now (a late fulfilment catches up);
    - ``due`` otherwise.

    Fulfilments after ``now`` are ignored (the clock decides what has happened).
    """
    now = as_time(now, now)  # a naive moment is taken as UTC, as evidence times are
    seen = sorted(as_time(t, t) for t in times)
    seen = [t for t in seen if t <= now]
    last = seen[-1] if seen else None
    if now < ob.starts:
        return Judgement(standing=Standing.NOT_STARTED, period=-1, deadline=None, last=last, missed=0)
    count = ob.periods()
    current = ob.index(now)
    if count is not None:
        current = min(current, count - 1)
    # The latest period whose deadline has passed (-1: none yet).
    passed = ob.index(now - ob.grace) - 1
    if now - ob.grace < ob.starts:
        passed = -1
    if count is not None:
        passed = min(passed, count - 1)

    def since(start: datetime) -> bool:
        return bisect.bisect_left(seen, start) < len(seen)

    missed = 0
    for k in range(passed + 1):
        lo = bisect.bisect_left(seen, ob.period_start(k))
        if lo == len(seen) or seen[lo] >= ob.deadline(k):
            missed += 1
    if since(ob.period_start(current)):
        return Judgement(standing=Standing.DONE, period=current, deadline=None, last=last, missed=missed)
    if passed >= 0 and not since(ob.period_start(passed)):
        # The first period with nothing since its start: the one after the latest fulfilment's.
        first = 0 if last is None or last < ob.starts else ob.index(last) + 1
        return Judgement(
            standing=Standing.OVERDUE,
            period=current,
            deadline=ob.deadline(passed),
            last=last,
            missed=missed,
            overdue_since=ob.deadline(first),
            overdue_periods=passed - first + 1,
        )
    pending = next(k for k in range(passed + 1, current + 1) if not since(ob.period_start(k)))
    return Judgement(
        standing=Standing.DUE, period=current, deadline=ob.deadline(pending), last=last, missed=missed
    )


# ---------------------------------------------------------------- duties


@attrs.frozen(kw_only=True)
class Duty:
    """One person's obligation toward one unit, judged at a moment.

    Attributes:
        obligation: the obligation id.
        label: its label.
        person: the person who owes it; ``person_name`` their display name.
        target: the unit it is owed toward; ``target_name`` its display name.
        standing: done, due, overdue or not started.
        deadline: see :class:`Judgement`.
        last: the latest fulfilment, if any.
        missed: periods missed so far.
        evidence: ids of the fulfilling evidence (oldest first).
        overdue_since: for ``overdue``, the first missed deadline (see :class:`Judgement`).
        overdue_periods: for ``overdue``, the periods missed since then.
    """

    obligation: str
    label: str
    person: str
    person_name: str
    target: str
    target_name: str
    standing: Standing
    deadline: datetime | None
    last: datetime | None
    missed: int
    evidence: tuple[str, ...] = ()
    overdue_since: datetime | None = None
    overdue_periods: int = 0

    def describe(self) -> str:
        """One line a clerk can act on."""
        who = f"{self.person_name} → {self.target_name}"
        last = f"last {self.last:%Y-%m-%d}" if self.last else "never fulfilled"
        if self.standing is Standing.OVERDUE and self.overdue_since is not None:
            n = self.overdue_periods
            periods = f"{n} period{'s' if n != 1 else ''} missed"
            since = f"{self.overdue_since:%Y-%m-%d %H:%M}"
            return f"{who}: {self.label} overdue since {since} ({periods}, {last})"
        if self.standing is Standing.DUE and self.deadline is not None:
            return f"{who}: {self.label} due by {self.deadline:%Y-%m-%d %H:%M} ({last})"
        return f"{who}: {self.label} {self.standing.value} ({last})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "obligation": self.obligation,
            "label": self.label,
            "person": self.person,
            "person_name": self.person_name,
            "target": self.target,
            "target_name": self.target_name,
            "standing": self.standing.value,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "last": self.last.isoformat() if self.last else None,
            "missed": self.missed,
            "overdue_since": self.overdue_since.isoformat() if self.overdue_since else None,
            "overdue_periods": self.overdue_periods,
            "evidence": list(self.evidence),
        }


def fulfilments(ob: Obligation, records: Iterable[Recorded[Any]], person: str) -> list[tuple[datetime, str]]:
    """(time, evidence id) of the records that fulfil ``ob`` for ``person``."""
    out: list[tuple[datetime, str]] = []
    for r in records:
        value = r.value
        if person not in names(getattr(value, ob.by, None)):
            continue
        if ob.where is not None and not ob.where(value):
            continue
        recorded = datetime.fromisoformat(r.at)
        at = as_time(getattr(value, ob.when), recorded) if ob.when else recorded
        out.append((at, r.id))
    out.sort()
    return out


def duty(
    ob: Obligation,
    run: RunView,
    person: str,
    target: str,
    now: datetime,
    *,
    records: Sequence[Recorded[Any]] | None = None,
) -> Duty:
    """Judge ``person``'s obligation toward ``target`` at ``now``.

    ``records``: ``target``'s evidence of ``ob.kind`` as ``run.records_of`` reads it,
    when the caller read it already (for many targets at once).
    """
    if records is None:
        records = run.records_of(target, ob.kind)
    found = fulfilments(ob, records, person)
    j = judge(ob, [t for t, _ in found], now)
    org = run.org
    return Duty(
        obligation=ob.id,
        label=ob.label,
        person=person,
        person_name=org.name_of(person),
        target=target,
        target_name=org.name_of(target),
        standing=j.standing,
        deadline=j.deadline,
        last=j.last,
        missed=j.missed,
        evidence=tuple(i for t, i in found if t <= now),
        overdue_since=j.overdue_since,
        overdue_periods=j.overdue_periods,
    )


def duties_toward(
    ob: Obligation,
    run: RunView,
    targets: Iterable[str],
    now: datetime,
    *,
    read: Mapping[tuple[str, str], Sequence[Recorded[Any]]] | None = None,
) -> Iterator[Duty]:
    """Every duty of ``ob`` owed toward the given units.

    ``read``: the targets' evidence by ``(unit, kind)`` as ``run.records_of`` reads
    it, read at once by the caller; a pair it lacks is read one by one.
    """
    org = run.org
    for target in targets:
        records = None if read is None else read.get((target, ob.kind))
        for person in ob.persons_at(org, target):
            yield duty(ob, run, person, target, now, records=records)


def duties_of(ob: Obligation, run: RunView, unit: str, now: datetime) -> Iterator[Duty]:
    """Every duty of ``ob`` owed by the people holding its role at ``unit``."""
    org = run.org
    for person in org.people(unit, ob.role):
        for target in ob.targets_of(org, person, unit):
            yield duty(ob, run, person, target, now)
