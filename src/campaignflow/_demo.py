"""The demo behind ``campaignflow demo``: the mass-line campaign over Zhongmou county."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import attrs

from campaignflow._definition import Escalation
from campaignflow._obligation_report import ObligationReport
from campaignflow._progress import Blocked
from campaignflow._run import Run
from campaignflow.exceptions import CampaignflowError
from campaignflow.presets.mass_line import campaign as mass_line_campaign
from campaignflow.presets.mass_line.simulation import simulate
from campaignflow.store import SQLStore, open_store


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
    db: Path
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


def build_org(scale: str, seed: int) -> object:
    """The org of the demo at ``scale``."""
    if scale == "county":
        from campaignflow.presets.zhongmou import zhongmou_org  # noqa: PLC0415

        return zhongmou_org(seed)
    from campaignflow.presets.scaled import scaled_org  # noqa: PLC0415

    return scaled_org(scale, seed=seed)


def run_demo(
    *,
    seed: int,
    db: Path,
    scale: str,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> DemoResult:
    """Simulate the campaign into a fresh SQLite file at ``db`` and summarise it."""
    from campaignflow._org import Org  # noqa: PLC0415

    started = time.perf_counter()
    org = build_org(scale, seed)
    if not isinstance(org, Org):  # pragma: no cover - build_org returns orgs
        msg = f"no org for scale {scale!r}"
        raise CampaignflowError(msg)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    campaign = mass_line_campaign()
    store = open_store(f"sqlite:///{db}", evidence_types=campaign.build().evidence_types)
    sim = simulate(org, store=store, seed=seed, on_progress=on_progress)
    if isinstance(store, SQLStore):
        # What `campaignflow verify DB` needs to replay this store on its own.
        store.set_meta("factory", "campaignflow.presets.mass_line:campaign")
        store.set_meta("org", org.to_json())
    run = sim.run
    seconds = time.perf_counter() - started
    reopened = campaign.open(
        org, open_store(f"sqlite:///{db}", evidence_types=campaign.build().evidence_types)
    )
    report = campaign.verify(org, reopened.store)
    # One line per unit of the level below the root that holds the most units
    # (townships in Zhongmou, counties nationally), counting the lowest level.
    children = org.children(org.root())
    held: dict[str, int] = {}
    for unit in children:
        held[org.level(unit)] = held.get(org.level(unit), 0) + sum(1 for _ in org.subtree(unit))
    row_level = max(held, key=held.__getitem__) if held else org.levels[0]
    leaf_level = org.levels[-1]
    duties = run.obligations()
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
    whole = run.progress(limit=10)
    dashboard = db.with_suffix(".html")
    dashboard.write_text(run.report().to_html(), encoding="utf-8")
    example = sim.refusals[0].explain() if sim.refusals else "(no refusal)"
    return DemoResult(
        run=run,
        db=db,
        seconds=seconds,
        steps=report.steps,
        townships=tuple(rows[:40]),
        row_level=row_level,
        leaf_level=leaf_level,
        blocked=whole.blocked_units,
        exposed=tuple(run.escalations),
        refused=sim.refused,
        sent_back=sim.sent_back,
        example=example,
        verified=report.ok and all(reopened.state(u) == run.state(u) for u in org),
        dashboard=dashboard,
        obligations=duties,
    )
