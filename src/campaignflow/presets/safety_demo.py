"""Simulate the safety campaign over a few sites with seeded randomness."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from datetime import timedelta

import attrs

import campaignflow as cf
from campaignflow.presets import safety

BLOCKED_EXIT = 0.3  # share of sites that leave an exit blocked at first
SENT_BACK = 0.25  # share of sites sent back to redo the inspection
EXPLAINED = 3  # refusals kept to show the user
SECRETARY = cf.Actor(id="secretary", roles={"secretary"})
INSPECTOR = cf.Actor(id="inspector", roles={"inspector"})


@attrs.frozen(kw_only=True)
class DemoResult:
    """What the demo did: the run, and how many refusals and send-backs happened."""

    run: cf.Run
    refusals: int
    send_backs: int
    explained: tuple[cf.Verdict, ...]


def _inspect(run: cf.Run, site: str, rng: random.Random) -> None:
    run.record(site, safety.Briefing(attendees=rng.randint(8, 40)), by=SECRETARY)
    run.fire(site, "start", by=SECRETARY)
    for _ in range(rng.randint(1, 3)):
        hours = rng.choice((1.5, 2, 3))
        run.record(site, safety.Inspection(hours=hours, inspector="inspector"), by=INSPECTOR)
    blocked = rng.random() < BLOCKED_EXIT
    run.record(site, safety.Exit(location="东门", blocked=blocked), by=INSPECTOR)
    run.record(site, safety.Exit(location="北门", blocked=False), by=INSPECTOR)
    run.record(site, safety.SignOff(note="ok"), by=INSPECTOR)


def _redo(run: cf.Run, site: str) -> None:
    """Clear blocked exits and add an inspection round, as a refused site does."""
    for record in run.evidence(site, safety.Exit):
        if record.value.blocked:
            run.retract(site, record.id, reason="exit cleared", by=INSPECTOR)
            cleared = safety.Exit(location=record.value.location, blocked=False)
            run.record(site, cleared, by=INSPECTOR)
    run.record(site, safety.Inspection(hours=2, inspector="inspector"), by=INSPECTOR)


def _approve(run: cf.Run, site: str, explained: list[cf.Verdict]) -> int:
    """Try to approve until the gate holds; returns the number of refusals."""
    refusals = 0
    while not (verdict := run.check(site, "approve")).passed:
        refusals += 1
        if len(explained) < EXPLAINED:
            explained.append(verdict)
        with contextlib.suppress(cf.GateClosed):
            run.fire(site, "approve", by=INSPECTOR)  # refused, and the refusal is logged
        _redo(run, site)
    run.fire(site, "approve", by=INSPECTOR)
    return refusals


def simulate(*, sites: int = 12, seed: int = 0, on_step: Callable[[int], None] | None = None) -> DemoResult:
    """Run the safety campaign end to end over ``sites`` sites.

    Some sites record too few inspections or leave an exit blocked, are refused
    with a verdict, redo the work; some are sent back. Deterministic per ``seed``.
    """
    rng = random.Random(seed)
    org = cf.Org.from_units([f"site-{i:03d}" for i in range(1, sites + 1)], name="safety-demo")
    clock = cf.FixedClock(step=timedelta(minutes=7))
    run = safety.campaign().start(org, clock=clock, ids=cf.CountingIds("ev"))
    refusals = send_backs = 0
    explained: list[cf.Verdict] = []
    for n, site in enumerate(org, start=1):
        _inspect(run, site, rng)
        refusals += _approve(run, site, explained)
        hazard = run.record(site, safety.Hazard(description="配电箱未上锁"), by=INSPECTOR)
        if rng.random() < SENT_BACK:
            run.send_back(site, "inspect", reason="整改前复查: 检查记录不全", by=INSPECTOR)
            send_backs += 1
            run.record(site, safety.Inspection(hours=2, inspector="inspector"), by=INSPECTOR)
            run.fire(site, "approve", by=INSPECTOR)
        if hazard.evidence is not None:
            run.retract(site, hazard.evidence.id, reason="hazard fixed", by=INSPECTOR)
        run.record(site, safety.Hazard(description="配电箱未上锁", fixed=True), by=INSPECTOR)
        run.fire(site, "close", by=INSPECTOR)
        if on_step is not None:
            on_step(n)
    return DemoResult(run=run, refusals=refusals, send_backs=send_backs, explained=tuple(explained))
