"""Reports of a run for any subtree: data, JSON, CSV and a self-contained HTML dashboard."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import attrs

from campaignflow.org.io import escape_cell
from campaignflow.report.timeline import Moves, Timeline, timeline_of, unit_moves
from campaignflow.run.duties import ObligationReport
from campaignflow.run.rollup import Blocked
from campaignflow.run.run import Run
from campaignflow.run.working_groups import WorkingGroupProgress

LEDGER_LIMIT = 5_000  # units: reading every unit's ledger evidence beyond this is not "seconds"


@attrs.frozen(kw_only=True)
class Row:
    """One unit below the report's node, with the units of the lowest level under it per stage."""

    unit: str
    name: str
    level: str
    by_stage: tuple[int, ...]
    blocked: int
    sent_back: int
    overdue: int


@attrs.frozen(kw_only=True)
class BoardEntry:
    """A line of the 曝光台: a unit sent back, how often, and whether past its limit."""

    unit: str
    name: str
    stage: str
    sent_back: int
    escalated: bool


@attrs.frozen(kw_only=True)
class LedgerOwner:
    """Ledger items (到人) of one owner: open and closed with acceptance."""

    owner: str
    open: int
    closed: int


@attrs.frozen(kw_only=True)
class Report:
    """Where a subtree stands: progress, blockers, send-backs, overdue units, ledger.

    Attributes:
        campaign: the campaign's label.
        node: the subtree root (``"*"`` for the whole org) and ``node_name`` its name.
        stages: leaf stage ids, and ``stage_labels`` their labels.
        by_level: units per level, then per stage.
        funnel: units at or past each stage.
        rows: one line per unit directly below the node.
        leaf_level: the level ``rows`` count.
        blocked: blocked units with their reasons.
        board: the 曝光台, most sent back first.
        overdue: units still in a stage past its due time ("stage overdue").
        ledger: ledger items by owner (empty for subtrees over 5,000 units).
        names: display names of the blocked units.
        duties: per obligation label, its duties done, due, overdue and not
            started (empty for subtrees over 5,000 units).
        late: the overdue duties, one line each, at most ``limit``.
        duties_overdue: the overdue duties ("duties overdue"), all of them.
        at: the moment the report judges (ISO), and ``at_reason`` why then
            (``"--at 2014-03-10"``, ``"the last step of a finished simulation"``).
        labels: labels of the stage paths and events, for display.
        timeline: units per stage per week (per day for short campaigns) from
            the log (``None`` for subtrees over 5,000 units).
        working_groups: progress per working group (住村联户工作组) stationed in
            the subtree: its units per stage label, blocked, sent back.
        late_units: the units past a stage's deadline, one line each ("overdue
            since"), earliest due first, at most ``limit``.
        drill_downs: with ``build_report(..., drill_down=True)``, the report of
            each unit of ``rows`` that has units below it (each township), for
            the dashboard's drill-down pages; empty otherwise.
    """

    campaign: str
    node: str
    node_name: str
    total: int
    stages: tuple[str, ...]
    stage_labels: tuple[str, ...]
    by_level: dict[str, dict[str, int]]
    funnel: tuple[int, ...]
    rows: tuple[Row, ...]
    leaf_level: str
    blocked: tuple[Blocked, ...]
    board: tuple[BoardEntry, ...]
    overdue: int
    ledger: tuple[LedgerOwner, ...]
    names: dict[str, str] = attrs.field(factory=dict)
    duties: dict[str, dict[str, int]] = attrs.field(factory=dict)
    late: tuple[str, ...] = ()
    duties_overdue: int = 0
    at: str = ""
    at_reason: str = ""
    labels: dict[str, str] = attrs.field(factory=dict)
    timeline: Timeline | None = None
    late_units: tuple[str, ...] = ()
    working_groups: tuple[WorkingGroupProgress, ...] = ()
    drill_downs: tuple[Report, ...] = ()

    def label(self, key: str) -> str:
        """The label of a stage path or an event (the key itself when it has none)."""
        return self.labels.get(key) or key

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return attrs.asdict(self, recurse=True)

    def to_json(self) -> str:
        """The report as JSON (Chinese kept as is)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    def to_csv(self) -> str:
        """The rows as CSV; cells a spreadsheet would execute are escaped."""
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(["unit", "name", "level", *self.stages, "blocked", "sent_back", "overdue"])
        for r in self.rows:
            cells = [r.unit, r.name, r.level, *r.by_stage, r.blocked, r.sent_back, r.overdue]
            w.writerow([escape_cell(c) for c in cells])
        return out.getvalue()

    def to_html(self) -> str:
        """A self-contained HTML dashboard (inline CSS and SVG, nothing fetched)."""
        from campaignflow.report.dashboard import render  # noqa: PLC0415 - jinja2 only when asked

        return render(self)


def build_report(
    run: Run,
    node: str | None = None,
    *,
    limit: int = 200,
    at_reason: str = "the run's clock",
    drill_down: bool = False,
) -> Report:
    """The report of ``node``'s subtree (the whole org when ``None``), judged at the run's clock.

    Counts come from the run's incremental counters; the send-back board and the
    ledger read the subtree's units, and the timeline its log (both only up to
    5,000 units). ``at_reason`` says why the run's clock stands where it does.
    With ``drill_down`` the report also holds, as ``drill_downs``, the report of
    each of its rows' units that has units below it (at most ``limit``): the
    dashboard links each township of its heat map to that report's page. A
    drill-down has a ledger, duties and a timeline when this report has them:
    the pages of a larger org would read all of its log again.
    """
    return _report(run, node, limit=limit, at_reason=at_reason, drill_down=drill_down, detail=None)


@attrs.frozen
class _Read:
    """What a small report read of its units, for its drill-downs (each over some of those units)."""

    moves: Moves
    ledger: dict[str, list[tuple[str, bool]]]


def _report(
    run: Run, node: str | None, *, limit: int, at_reason: str, drill_down: bool, detail: _Read | bool | None
) -> Report:
    """:func:`build_report`; ``detail``: the parent's reads (``None``: read them if the subtree is small)."""
    org, d = run.org, run.definition
    now = run.clock()
    progress = run.progress(node, limit=limit, now=now)
    stages = d.leaves
    roots = org.roots()
    top = roots[0] if node is None and len(roots) == 1 else node
    children = org.children(top) if top is not None else roots
    leaf_level = org.levels[-1]
    # A heat map of the lowest level (villages) per child (township); children with
    # none of them below (departments) show only when no child has any.
    measured = []
    for child in children:
        p = run.progress(child, limit=0, now=now)
        leaves = p.by_level.get(leaf_level, {})
        measured.append((child, p, tuple(leaves.get(s, 0) for s in stages)))
    with_leaves = any(any(counts) for _, _, counts in measured)
    rows = [
        Row(
            unit=child,
            name=org.name_of(child),
            level=org.level(child),
            by_stage=counts if with_leaves else tuple(p.by_stage.values()),
            blocked=p.blocked,
            sent_back=p.sent_back,
            overdue=p.overdue,
        )
        for child, p, counts in measured
        if any(counts) or not with_leaves
    ]
    reached = [0] * len(stages)
    for i in range(len(stages)):
        reached[i] = sum(progress.by_stage[s] for s in stages[i:])
    units = list(org) if node is None else list(org.subtree(node))
    escalated = {(e.unit, e.stage) for e in run.escalations}
    board = []
    records = run._units  # noqa: SLF001 - the report reads the run's own records, read-only
    for unit in units:
        for stage, count in (records[unit].reworks or {}).items():
            board.append(
                BoardEntry(
                    unit=unit,
                    name=org.name_of(unit),
                    stage=d.label_of(stage),
                    sent_back=count,
                    escalated=(unit, stage) in escalated,
                )
            )
    board.sort(key=lambda b: (-b.sent_back, b.unit))
    small = detail is not False and len(units) <= LEDGER_LIMIT
    duties = run.obligations(node, now=now) if small and d.obligations else None
    timeline = None
    read = detail if isinstance(detail, _Read) else None
    if small and read is None:
        steps = run.store.steps() if node is None else (s for u in units for s in run.store.history(u))
        read = _Read(moves=unit_moves(units, steps, now), ledger=_ledger_items(run, units))
    if read is not None:
        timeline = timeline_of(d, units, read.moves, now)
    labels = {path: d.label_of(path) for path in d.paths}
    labels.update({t.event: t.label for t in d.transitions if t.label})
    groups = tuple(
        g
        for g in run.working_groups()
        if top is None or any(u == top or org.is_ancestor(top, u) for u in g.units)
    )
    names = {b.unit: org.name_of(b.unit) for b in progress.blocked_units}
    names.update({g.leader: org.name_of(g.leader) for g in groups})
    return Report(
        campaign=d.label,
        node=progress.node,
        node_name=org.name_of(top) if top is not None else org.name,
        total=progress.total,
        stages=stages,
        stage_labels=tuple(d.label_of(s) for s in stages),
        by_level={k: dict(v) for k, v in progress.by_level.items()},
        funnel=tuple(reached),
        rows=tuple(rows),
        leaf_level=leaf_level,
        blocked=progress.blocked_units,
        board=tuple(board[:limit]),
        overdue=progress.overdue,
        ledger=_ledger(units, read.ledger) if read is not None else (),
        names=names,
        duties={} if duties is None else _duty_counts(duties),
        late=() if duties is None else tuple(x.describe() for x in duties.overdue[:limit]),
        duties_overdue=0 if duties is None else len(duties.overdue),
        at=now.isoformat(),
        at_reason=at_reason,
        labels=labels,
        timeline=timeline,
        late_units=tuple(o.describe(org.name_of(o.unit)) for o in run.overdue(node, limit=limit)),
        working_groups=groups,
        drill_downs=tuple(
            _report(run, row.unit, limit=limit, at_reason=at_reason, drill_down=False, detail=read or False)
            for row in rows[:limit]
            if org.children(row.unit)
        )
        if drill_down
        else (),
    )


def _duty_counts(report: ObligationReport) -> dict[str, dict[str, int]]:
    labels = {d.obligation: d.label for d in report.duties}
    return {labels[ob]: report.counts(ob) for ob in report.obligations}


def _with_fields(run: Run, *names: str) -> list[str]:
    types = run.definition.evidence_types
    return [
        n for n, tp in types.items() if attrs.has(tp) and set(names) <= {f.name for f in attrs.fields(tp)}
    ]


def _ledger_items(run: Run, units: list[str]) -> dict[str, list[tuple[str, bool]]]:
    """Each unit's ledger items: its owner's name, and whether closed with acceptance.

    Items are evidence with ``item`` and ``person`` fields (到事、到人); closures
    are evidence with ``item`` and ``accepted``. One batched read (``records_of``
    of many units: what send-backs voided left out), kept for the drill-downs.
    """
    items = _with_fields(run, "item", "person")
    closures = _with_fields(run, "item", "accepted")
    if not items:
        return {}
    read = run._read_many(units, [*items, *closures])  # noqa: SLF001 - the run's batched records_of
    out: dict[str, list[tuple[str, bool]]] = {}
    for unit in units:
        accepted = {r.value.item for kind in closures for r in read[unit, kind] if r.value.accepted}
        out[unit] = [
            (run.org.name_of(r.value.person), r.value.item in accepted)
            for kind in items
            for r in read[unit, kind]
        ]
    return out


def _ledger(units: list[str], items: dict[str, list[tuple[str, bool]]]) -> tuple[LedgerOwner, ...]:
    """Ledger items by owner, of the ``units`` (from :func:`_ledger_items` of them or more)."""
    owners: dict[str, list[int]] = {}
    for unit in units:
        for owner, closed in items.get(unit, ()):
            tally = owners.setdefault(owner, [0, 0])
            tally[1 if closed else 0] += 1
    return tuple(
        LedgerOwner(owner=o, open=t[0], closed=t[1])
        for o, t in sorted(owners.items(), key=lambda kv: (-kv[1][0], kv[0]))
    )
