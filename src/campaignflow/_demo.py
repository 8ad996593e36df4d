"""The demo behind ``campaignflow demo``: the mass-line campaign over Zhongmou county."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import orjson

from campaignflow._files import write_text_atomically
from campaignflow._targets import TargetError
from campaignflow.definition.actors import Actor
from campaignflow.definition.model import Escalation
from campaignflow.org.graph import Org
from campaignflow.presets.mass_line import campaign as mass_line_campaign
from campaignflow.presets.mass_line.simulation import simulate
from campaignflow.report.as_of import NOW, last_step_time
from campaignflow.report.build import build_report
from campaignflow.run.duties import ObligationReport
from campaignflow.run.inbox import AwaitingItem, NextAction
from campaignflow.run.rollup import Blocked
from campaignflow.run.run import Run
from campaignflow.store import SQLStore, open_store

# Every dashboard campaignflow writes carries this line: the demo replaces only its own pages.
DASHBOARD_MARK = '<meta name="generator" content="campaignflow">'


@attrs.frozen(kw_only=True)
class TownshipRow:
    """One line of the roll-up table: a unit below the root (a township in Zhongmou)."""

    name: str
    by_stage: tuple[int, ...]
    blocked: int
    sent_back: int
    overdue: int = 0


@attrs.frozen(kw_only=True)
class DemoResult:
    """What the demo produced, for the CLI to show."""

    run: Run
    db: Path | str  # a SQLite file, or the URL of a database server (password hidden)
    seconds: float
    steps: int
    townships: tuple[TownshipRow, ...]
    row_level: str
    leaf_level: str
    blocked: tuple[Blocked, ...]
    exposed: tuple[Escalation, ...]
    refused: int
    sent_back: int
    example: str
    verified: bool
    dashboard: Path
    obligations: ObligationReport | None = None
    inboxes: tuple[Inbox, ...] = ()
    total: float = 0.0
    phases: tuple[tuple[str, float], ...] = ()

    @property
    def rate(self) -> float:
        """Steps written per second of the simulation (the org's build included)."""
        return self.steps / self.seconds if self.seconds > 0 else 0.0

    def timings(self) -> str:
        """One line: steps/s, the whole run's seconds and each phase's after the simulation."""
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.phases)
        return f"{self.rate:,.0f} steps/s; end to end {self.total:.1f} s" + (f" ({parts})" if parts else "")


@attrs.frozen(kw_only=True)
class Inbox:
    """One actor's inbox as the demo shows it: its awaiting list, and what its stuck units wait on."""

    who: str
    items: tuple[AwaitingItem, ...]
    stuck: tuple[NextAction, ...] = ()


TRIES = 500
"""Townships or groups looked at for an inbox to show (national scale has 39,000 townships)."""


def inboxes(run: Run) -> tuple[Inbox, ...]:
    """A supervision group member's inbox, and a township principal's (with what its units wait on)."""
    org = run.org
    shown: list[Inbox] = []
    for group in org.groups()[:TRIES]:
        members = org.people(group)
        if not members:
            continue
        who = Actor(id=members[0], roles=org.all_roles(members[0]))
        items = run.awaiting(who, limit=5)
        if items or not shown:
            found = Inbox(who=f"{org.name_of(who.id)} ({org.name_of(group)})", items=items)
            shown[:1] = [found]
        if items:
            break
    last = run.definition.leaves[-1]
    clerk: Inbox | None = None
    townships = [u for u in org.units_ordered() if org.level(u) == "township"][:TRIES]
    for township in townships:
        people = org.people(township, "principal")
        who = Actor(
            id=people[0] if people else f"{township}/principal", roles={"principal"}, scope={township}
        )
        items = run.awaiting(who, limit=5)
        late = run.progress(township, limit=0).by_stage[last] < len(list(org.subtree(township)))
        if not items and not late:
            continue
        stuck = (
            ()
            if items
            else tuple(
                a
                for u in org.subtree(township)
                if run.stage_of(u) != last
                for a in run.next_actions(u, by=who)
            )[:3]
        )
        clerk = Inbox(who=f"{org.name_of(who.id)} ({org.name_of(township)})", items=items, stuck=stuck)
        if items:
            break
    return (*shown, *(() if clerk is None else (clerk,)))


def build_org(scale: str, seed: int) -> Org:
    """The org of the demo at ``scale``."""
    if scale == "county":
        from campaignflow.presets.zhongmou import zhongmou_org  # noqa: PLC0415

        return zhongmou_org(seed)
    from campaignflow.presets.scaled import scaled_org  # noqa: PLC0415

    return scaled_org(scale, seed=seed)


def check_db_path(db: Path) -> None:
    """Refuse a ``--db`` the demo would damage: one it cannot replace, or one its dashboard would overwrite.

    The demo replaces a campaignflow database (or an empty file) at ``db``; any
    other file there is the user's and stays untouched.

    Raises:
        TargetError: ``db`` ends in ``.html``, is a directory, or is a file
            that is not a campaignflow database.
    """
    if db.suffix.lower() in {".html", ".htm"}:
        msg = f"--db {db}: the dashboard is written beside the database as NAME.html; pass e.g. --db zm.db"
        raise TargetError(msg)
    if db.is_dir():
        msg = f"--db {db} is a directory: pass a file name, e.g. --db {db / 'zhongmou.db'}"
        raise TargetError(msg)
    if db.exists() and db.stat().st_size > 0 and not _is_campaignflow_db(db):
        msg = f"--db {db} exists and is not a campaignflow database: left untouched; pass another path"
        raise TargetError(msg)
    check_page(dashboard_path(db), "pass another --db")


def check_page(page: Path, fix: str) -> None:
    """Refuse to overwrite ``page`` unless it is empty, absent or a campaignflow dashboard.

    Raises:
        TargetError: ``page`` is someone else's file (``fix`` says what to pass instead).
    """
    if page.exists() and page.stat().st_size > 0 and DASHBOARD_MARK not in _head(page):
        msg = f"{page} exists and is not a campaignflow dashboard: left untouched; {fix}"
        raise TargetError(msg)


def finish_store(store: SQLStore, org: Org) -> datetime | None:
    """Write what `campaignflow verify DB` and `report DB` read beside a finished simulation.

    Returns the simulation's last step time (the moment reports judge it at), if any step.
    """
    store.set_meta("factory", "campaignflow.presets.mass_line:campaign")
    # Compact: the indented form is written by Python's pure-Python encoder, ~1 s per 10,000 units.
    store.set_meta("org", orjson.dumps(org.to_dict()).decode())
    # A finished simulation: reports judge it at its last step, not at today's date.
    last = last_step_time(store)
    if last is not None:
        store.set_meta(NOW, last.isoformat())
    return last


def dashboard_path(db: Path) -> Path:
    """Where the demo writes the dashboard of ``db``: beside it, ``NAME.html``."""
    return db.with_suffix(".html")


def _is_campaignflow_db(path: Path) -> bool:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cf_steps'")
        return found.fetchone() is not None
    except sqlite3.DatabaseError:  # not an SQLite file at all
        return False
    finally:
        conn.close()


def _head(path: Path) -> str:
    with path.open("rb") as f:
        return f.read(4096).decode("utf-8", errors="replace")


def _remove(db: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def run_demo(
    *,
    seed: int,
    db: Path,
    scale: str,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> DemoResult:
    """Simulate the campaign into a fresh SQLite file at ``db`` and summarise it.

    The database is built under a temporary name beside ``db`` and moved onto
    ``db`` only when it is complete and replays: an error or an interrupt
    leaves whatever was at ``db`` as it was, and no half-written file.

    Args:
        seed: the simulation's seed.
        db: the SQLite file to write (see :func:`check_db_path`).
        scale: ``"county"``, ``"province"`` or ``"national"``.
        on_progress: called as ``(phase, done, total)`` as the demo goes.
    """
    check_db_path(db)
    work = db.with_name(f".{db.name}.partial")
    _remove(work)
    try:
        result = _run(seed=seed, db=db, work=work, scale=scale, on_progress=on_progress or _quiet)
    except BaseException:
        _remove(work)
        raise
    return result


def _quiet(_phase: str, _done: int, _total: int) -> None:
    pass


def _run(
    *, seed: int, db: Path, work: Path, scale: str, on_progress: Callable[[str, int, int], None]
) -> DemoResult:
    started = time.perf_counter()
    on_progress("building the org", 0, 0)
    org = build_org(scale, seed)
    campaign = mass_line_campaign()
    store = open_store(f"sqlite:///{work}", evidence_types=campaign.build().evidence_types)
    sim = simulate(org, store=store, seed=seed, on_progress=on_progress)
    if isinstance(store, SQLStore):
        finish_store(store, org)
    run = sim.run
    seconds = time.perf_counter() - started
    mark = time.perf_counter()
    phases: list[tuple[str, float]] = []

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases.append((name, now - mark))
        mark = now

    on_progress("replay check: reopening the database and replaying every step", 0, 0)
    reopened = campaign.open(
        org, open_store(f"sqlite:///{work}", evidence_types=campaign.build().evidence_types)
    )
    report = campaign.verify(org, reopened.store, processes=2)  # the demo's own process: forking is ours
    verified = report.ok and all(reopened.state(u) == run.state(u) for u in org)
    lap("replay check")
    on_progress("summing up the roll-up and the duties", 0, 0)
    summed = summary(run)  # read while the store is open
    lap("roll-up and duties")
    on_progress("writing the dashboard", 0, 0)
    page = build_report(run, drill_down=True).to_html()
    example = sim.refusals[0].explain() if sim.refusals else "(no refusal)"
    for opened in (reopened.store, store):
        if isinstance(opened, SQLStore):  # release the file before it is moved
            opened.close()
    # Only now, complete and checked, does the new database replace the old one.
    _remove(db)
    work.replace(db)
    dashboard = dashboard_path(db)
    write_text_atomically(dashboard, page)
    lap("dashboard")
    return DemoResult(
        **summed,
        run=run,
        db=db,
        seconds=seconds,
        steps=report.steps,
        refused=sim.refused,
        sent_back=sim.sent_back,
        example=example,
        verified=verified,
        dashboard=dashboard,
        total=time.perf_counter() - started,
        phases=tuple(phases),
    )


def summary(run: Run) -> dict[str, Any]:
    """The fields of a :class:`DemoResult` read from the finished run: roll-up, duties, inboxes."""
    duties = run.obligations()
    rows, row_level, leaf_level = _rollup(run, duties)
    return {
        "townships": tuple(rows[:40]),
        "row_level": row_level,
        "leaf_level": leaf_level,
        "blocked": run.progress(limit=10).blocked_units,
        "exposed": tuple(run.escalations),
        "obligations": duties,
        "inboxes": inboxes(run),
    }


def _rollup(run: Run, duties: ObligationReport) -> tuple[list[TownshipRow], str, str]:
    """The roll-up table's rows, the level they are of, and the lowest level they count."""
    org = run.org
    # One line per unit of the level below the root that holds the most units
    # (townships in Zhongmou, counties nationally), counting the lowest level.
    children = org.children(org.root())
    held: dict[str, int] = {}
    for unit in children:
        held[org.level(unit)] = held.get(org.level(unit), 0) + sum(1 for _ in org.subtree(unit))
    row_level = max(held, key=held.__getitem__) if held else org.levels[0]
    leaf_level = org.levels[-1]
    overdue = duties.by_unit([u for u in children if org.level(u) == row_level], run)
    rows = []
    for unit in children:
        if org.level(unit) != row_level:
            continue
        p = run.progress(unit)
        leaves = p.by_level.get(leaf_level, {})
        rows.append(
            TownshipRow(
                name=org.name_of(unit),
                by_stage=tuple(leaves.get(stage, 0) for stage in run.definition.leaves),
                blocked=p.blocked,
                sent_back=p.sent_back,
                overdue=overdue[unit]["overdue"],
            )
        )
    return rows, row_level, leaf_level
