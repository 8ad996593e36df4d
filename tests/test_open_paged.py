"""Opening a run reads an SQL store's projection a page of units at a time, refusing stray rows as before."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

import campaignflow as cf
from campaignflow.presets import safety
from campaignflow.run import replay
from test_verify import _sql

CLERK = cf.Actor(id="li", roles={"secretary", "inspector"})
UNITS = [f"s{i}" for i in range(7)]


def _url(tmp_path: Path) -> tuple[cf.Campaign, str, cf.Run]:
    url = f"sqlite:///{tmp_path / 'paged.db'}"
    c = safety.campaign()
    run = c.start(UNITS, store=url, clock=cf.FixedClock(step=timedelta(hours=1)), ids=cf.CountingIds())
    run.record_many([(u, safety.Briefing(attendees=3)) for u in UNITS], by=CLERK)
    run.fire_many(UNITS[::2], "start", by=CLERK)
    return c, url, run


def test_a_run_opened_a_page_at_a_time_is_the_live_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of two units give every unit its stored row, as one read of them all does."""
    c, url, run = _url(tmp_path)
    monkeypatch.setattr(replay, "PAGE", 2)
    again = c.open(UNITS, url)
    assert [again.state(u) for u in UNITS] == [run.state(u) for u in UNITS]
    assert again.progress().counts() == run.progress().counts()


def test_a_stored_row_of_a_unit_outside_the_org_is_named(tmp_path: Path) -> None:
    """A projection row no unit of the org owns (and the run's own unit list lacks) is refused on open."""
    c, url, _ = _url(tmp_path)
    _sql(
        url,
        "INSERT INTO cf_units (unit, stage, version, body, head) "
        "SELECT 'x9', stage, version, body, head FROM cf_units WHERE unit = 's1'",
    )
    with pytest.raises(cf.OrgMismatch) as caught:
        c.open(UNITS, url)
    assert caught.value.units == ("x9",)
    assert "1 unit(s) not in org" in str(caught.value)
