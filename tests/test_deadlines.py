"""Relative deadlines: stage(due_after=...) counts a unit overdue once it has stayed too long."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import campaignflow as cf

T0 = datetime(2014, 3, 1, tzinfo=UTC)
ANY = cf.Actor(id="x")


def campaign() -> cf.Campaign:
    """a: 30 days from entry; b: 10 days from entry, or 2014-03-12 at the latest; z: none."""
    c = cf.Campaign("deadlines")
    c.stage("a", due_after=timedelta(days=30))
    c.stage("b", due_after=timedelta(days=10), due=datetime(2014, 3, 12, tzinfo=UTC))
    c.stage("z")
    c.transition("go", "a", "b")
    c.transition("end", "b", "z")
    c.rework("a")
    return c


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    """A fresh store target of each kind."""
    if request.param == "memory":
        return cf.MemoryStore()
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'deadlines.db'}"
    return request.getfixturevalue("pg_fresh")


def day(n: int) -> datetime:
    """Day ``n`` of the run (day 0: 2014-03-01)."""
    return T0 + timedelta(days=n)


class TestRelativeDeadlines:
    def test_overdue_from_entry_counted_listed_and_recounted(self, target: object) -> None:
        """A unit is late once in the stage longer than due_after; progress, overdue and recount agree."""
        clock = cf.FixedClock(T0)
        run = campaign().start(["u1", "u2", "u3"], store=target, clock=clock)
        clock.advance(timedelta(days=1))
        run.fire("u1", "go", by=ANY)  # b from day 1: late after day 11 (10 days), before the 12th
        assert run.progress(now=day(11)).overdue == 0
        assert run.overdue(now=day(12)) == (
            cf.Overdue(unit="u1", stage="b", since=day(1).isoformat(), due=day(11).isoformat()),
        )
        assert run.progress(now=day(29)).overdue == 1
        late = run.overdue(now=day(31))
        assert [(o.unit, o.due) for o in late] == [
            ("u1", day(11).isoformat()),
            ("u2", day(30).isoformat()),
            ("u3", day(30).isoformat()),
        ]
        assert run.progress(now=day(31)).overdue == run.recount(now=day(31)).overdue == 3
        assert run.overdue(now=day(31), limit=1) == late[:1]

    def test_the_absolute_due_wins_when_earlier(self) -> None:
        """In a stage with both, the earlier deadline names the overdue moment."""
        clock = cf.FixedClock(T0 + timedelta(days=5))
        run = campaign().start(["u"], clock=clock)
        run.fire("u", "go", by=ANY)  # day 5 + 10 = day 15, but due on the 12th
        (late,) = run.overdue(now=day(13))
        assert late.due == datetime(2014, 3, 12, tzinfo=UTC).isoformat()

    def test_a_send_back_restarts_the_count(self) -> None:
        """Re-entering a stage starts its relative deadline again."""
        clock = cf.FixedClock(T0)
        run = campaign().start(["c", "v"], clock=clock)
        run.fire("v", "go", by=ANY)
        clock.advance(timedelta(days=25))
        run.send_back("v", "a", reason="redo", by=ANY)
        assert [o.unit for o in run.overdue(now=day(40))] == ["c"]
        assert run.progress("v", now=day(56)).overdue == 1

    def test_an_opened_run_reads_entries_from_its_log(self, target: object) -> None:
        """Reopened, the run judges the same units late at the same moments."""
        clock = cf.FixedClock(T0)
        c = campaign()
        run = c.start(["u1", "u2"], store=target, clock=clock)
        clock.advance(timedelta(days=3))
        run.fire("u1", "go", by=ANY)
        again = c.open(["u1", "u2"], run.store)
        assert again.overdue(now=day(14)) == run.overdue(now=day(14))
        assert again.progress(now=day(14)).overdue == run.progress(now=day(14)).overdue == 1
        assert again.progress(now=day(40)).overdue == run.progress(now=day(40)).overdue == 2

    def test_reports_name_the_late_units(self) -> None:
        """build_report lists each late unit with "overdue since"."""
        clock = cf.FixedClock(T0)
        run = campaign().start(["u1"], clock=clock)
        clock.advance(timedelta(days=45))
        report = cf.build_report(run)
        assert report.overdue == 1
        assert report.late_units == (f"u1: a overdue since {day(30).isoformat()}",)

    def test_due_after_must_be_a_positive_timedelta(self) -> None:
        """A zero or negative due_after is refused at build, naming the stage."""
        c = cf.Campaign("bad")
        c.stage("a", due_after=timedelta(0))
        c.stage("b")
        c.transition("go", "a", "b")
        with pytest.raises(cf.DefinitionError, match="stage 'a': due_after must be a positive timedelta"):
            c.build()
