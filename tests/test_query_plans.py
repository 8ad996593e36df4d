"""Every index of the store's schema serves a query, and no query that names its rows scans a table.

The statements are the ones SQLite ran (its trace callback, on every connection
the store opened) through a run that writes every kind of step and reads every
way the library reads a log: histories, evidence, keyed repeats, reopening,
``verify``. Each is explained on the database it ran on (``EXPLAIN QUERY
PLAN``). An index no plan uses costs every write and serves nothing; a query
that scans where it filters grows with the log (docs/explanation/performance.md).
"""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import campaignflow as cf
from campaignflow.presets import safety
from campaignflow.store._tables import tables

SEC = cf.Actor(id="sec", roles={"secretary", "inspector"})
UNITS = ["s1", "s2", "s3"]
CAMPAIGN = safety.campaign(limit=9).rework("mobilise", limit=9)
TABLES = re.compile(r"\bcf_(?:[0-9]+_)?(?:steps|units|evidence|checkpoints|keys|denials|meta)\b")


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Each distinct statement SQLite ran through :func:`_run_everything`, with its plan's lines.

    Traced on every connection opened meanwhile (the store's own engine, as a URL builds it).
    """
    seen: list[str] = []

    def trace(dbapi: Any, _: Any) -> None:
        if isinstance(dbapi, sqlite3.Connection):
            dbapi.set_trace_callback(seen.append)

    path = tmp_path_factory.mktemp("plans") / "plans.db"
    sa.event.listen(sa.pool.Pool, "connect", trace)
    try:
        _run_everything(f"sqlite:///{path}")
    finally:
        sa.event.remove(sa.pool.Pool, "connect", trace)
    return _plans(path, seen)


def _run_everything(url: str) -> None:
    """Write every kind of step, keyed and not, and read the log every way the library does."""
    run = CAMPAIGN.start(UNITS, store=url, clock=cf.FixedClock(step=timedelta(minutes=1)))
    run.record("s1", safety.Briefing(attendees=3), by=SEC, key="r")
    run.record("s1", safety.Briefing(attendees=3), by=SEC, key="r")  # a keyed repeat: read by its key
    run.record_many([(u, safety.Briefing(attendees=4)) for u in UNITS], by=SEC)
    run.fire_many(UNITS, "start", by=SEC)
    (inspection,) = run.record_many([("s2", safety.Inspection(hours=2))], by=SEC)
    assert inspection.evidence is not None
    run.retract("s2", inspection.evidence.id, reason="typo", by=SEC)
    run.send_back("s1", "mobilise", reason="redo the briefing", by=SEC)
    run.check("s3", "approve", by=SEC)  # a gate judged over the unit's evidence by kind
    run.history("s2")
    run.evidence("s1", safety.Briefing)
    again = CAMPAIGN.open(UNITS, url)
    again.history("s1")
    assert CAMPAIGN.verify(UNITS, url).ok


def _plans(path: Path, seen: list[str]) -> dict[str, list[str]]:
    """Each distinct statement on a campaign's tables but inserts, with its plan's lines."""
    db = sqlite3.connect(path)
    found: dict[str, list[str]] = {}
    try:
        for statement in dict.fromkeys(seen):
            text = " ".join(statement.split())
            if not TABLES.search(text) or not re.match(r"(?i)(SELECT|UPDATE|DELETE|WITH)\b", text):
                continue
            rows = db.execute(f"EXPLAIN QUERY PLAN {text}", (None,) * text.count("?")).fetchall()
            found[text] = [str(row[3]) for row in rows]
    finally:
        db.close()
    return found


def test_every_index_serves_a_query_and_no_filtered_query_scans(plans: dict[str, list[str]]) -> None:
    assert len(plans) >= 10, plans  # the trace saw the store's reads
    # A count(*) scans whichever index is smallest: any index would do, so it proves no use.
    used = " ".join(line for text, lines in plans.items() if "count(" not in text for line in lines)
    t = tables()
    declared = [
        index.name
        for table in (t.steps, t.checkpoints, t.evidence, t.units, t.keys)
        for index in table.indexes
    ]
    assert declared  # the schema's own indexes (keys' uniqueness aside)
    unused = [name for name in declared if f"INDEX {name}" not in used]
    assert not unused, f"indexes no query of the store uses (each costs every write): {unused}"
    scans = {
        text: lines
        for text, lines in plans.items()
        if " WHERE " in text and any(re.match(r"SCAN cf_\w+$", line) for line in lines)
    }
    assert not scans, f"queries that filter but scan a whole table: {scans}"


def test_a_unit_history_and_a_batch_evidence_read_use_their_indexes(plans: dict[str, list[str]]) -> None:
    history = [lines for text, lines in plans.items() if re.search(r"WHERE cf_steps\.unit = ", text)]
    evidence = [lines for text, lines in plans.items() if "JOIN cf_evidence" in text]
    assert history
    assert evidence
    assert all(any("INDEX cf_steps_unit_seq (unit=?)" in line for line in lines) for lines in history)
    assert all(
        any("INDEX cf_evidence_unit_kind (unit=? AND kind=?" in line for line in lines) for lines in evidence
    )
