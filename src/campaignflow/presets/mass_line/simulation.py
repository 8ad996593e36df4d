"""Simulate the mass-line campaign over an org with seeded randomness (the demo).

Realistic evidence level by level, top down (一级做给一级看): some units fall
short of the 五个不开会 and are blocked with reasons, some are sent back to redo
their meeting (返工) or their study (补课) — a few stubborn ones 3 or 4 times
and onto the 曝光台 — supervision groups approve the latest self-inspection
draft, ledger items open at any stage (边学边改) and are closed with public
acceptance, and units conclude bottom up (no level left behind).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from itertools import combinations, permutations
from random import Random
from typing import Any

import campaignflow as cf
from campaignflow.presets.mass_line import evidence as ev
from campaignflow.presets.mass_line.campaign import campaign as build_campaign
from campaignflow.presets.mass_line.dice import Dice, SharedDice
from campaignflow.presets.mass_line.lookback import LookBackCheck, look_back
from campaignflow.presets.mass_line.office import Office
from campaignflow.presets.mass_line.rules import Thresholds
from campaignflow.presets.mass_line.simulated import Odds, Order, Simulation

READINGS: tuple[str, ...] = ("党章", "习近平总书记系列重要讲话", "论群众路线", "焦裕禄精神")


class _Sim(Office):
    def __init__(
        self, run: cf.Run, dice: Dice, odds: Odds, t: Thresholds, units: list[str] | None = None
    ) -> None:
        super().__init__(run, dice, odds, t, units)
        self.stubborn = {u for u in self.units if dice.of(u).random() < odds.stubborn}
        self.laggards = {u for u in self.units if dice.of(u).random() < odds.laggard and self.org.parent(u)}
        # Whether a leader is absent is drawn over every contact in the org, in every
        # shard alike: a county leader's contact points lie in many provinces.
        contacts = [(p, u) for u in self.org for p in self.org.contacted_by(u)]
        self.absent = {p for p, u in contacts if dice.of(f"{p}>{u}").random() < odds.absent_leader}
        own = self.own
        self.contacts = contacts if own is None else [(p, u) for p, u in contacts if u in own]

    # ---------------------------------------------------------------- weeks

    def begin(self, n: int) -> None:
        """Phase ``n`` (from 1) begins: after the first, a week of the campaign's calendar has passed."""
        self.dice.phase(n)
        clock = self.run.clock
        if n > 1 and isinstance(clock, cf.FixedClock):
            clock.advance(timedelta(weeks=1))

    def week(self) -> None:
        """This week's duties: leaders visit their contact points, principals keep their diaries."""
        dice, absent, skip = self.dice, self.absent, self.odds.skipped_visit
        items: list[tuple[str, Any]] = [
            (unit, ev.Visit(leader=person))
            for person, unit in self.contacts
            if person not in absent and dice.of(f"{person}>{unit}").random() >= skip
        ]
        for unit in self.units:
            principals = self.people(unit, "principal")
            if principals:
                rng = dice.of(unit)
                items.extend(
                    (unit, ev.DiaryEntry(cadre=p, text="民情日记"))
                    for p in principals
                    if p not in absent and rng.random() >= skip
                )
        self.record(items)

    def visit_overdue(self, unit: str, verdict: cf.Verdict) -> list[tuple[str, Any]]:
        """The overdue leaders of ``unit`` make their visits (the gate named them)."""
        if not any(f.rule == "contact_visits_kept" for f in verdict.failures):
            return []
        return [
            (target, ev.Visit(leader=person, note="补访"))
            for person in self.people(unit, "leadership")
            for target in self.org.contacts(person)
        ]

    # ---------------------------------------------------------------- stages

    def mobilise(self) -> None:
        for level in self.levels():
            self.record(
                (
                    u,
                    ev.MobilisationMeeting(
                        chaired_by=self.principal(u), attendees=self.dice.of(u).randint(20, 400)
                    ),
                )
                for u in level
            )
            self.fire_all(level, "mobilise")

    def study(self, units: Iterable[str], *, shortfall: bool) -> None:
        t = self.t
        items: list[tuple[str, Any]] = []
        for u in units:
            rng = self.dice.of(u)
            short = shortfall and (u in self.stubborn or rng.random() < self.odds.short_study)
            sessions = max(0, t.study_sessions - (1 if short else 0))
            hours = t.study_hours / max(1, t.study_sessions)
            leaders = self.leaders(u)
            # 学习上延一级: the first session invites the principals of the level below;
            # some of them then miss their own unit's sessions, credited from above.
            invited = tuple(p for child in self.org.children(u) for p in self.people(child, "principal"))
            away = self.org.parent(u) is not None and rng.random() < self.odds.principal_away
            own = tuple(p for p in leaders if not (away and p == self.principal(u)))
            for i in range(sessions):
                chair = self.principal(u) if i == 0 else rng.choice(leaders or ("office",))
                items.append(
                    (
                        u,
                        ev.StudySession(
                            hours=hours,
                            readings=rng.sample(READINGS, 2),
                            attendees=own + invited if i == 0 else own,
                            chaired_by=chair,
                        ),
                    )
                )
            members = self.people(u, "members")
            items.extend((u, ev.MemberNotes(member=m)) for m in members)
            if members:
                given = members
                if rng.random() < self.odds.missing_handbook:
                    given = members[1:]
                items.append((u, ev.MaterialsIssued(members=given)))
            items.extend(
                (
                    u,
                    ev.Opinion(
                        source=rng.choice(list(ev.Source)),
                        category=rng.choice(list(ev.FourWinds)).value,
                    ),
                )
                for _ in range(t.opinions + rng.randint(0, 5))
            )
            self.open_ledger(u, items, rng, early=True)
            self.spill(items)
        self.record(items)

    def finish_study(self, units: list[str]) -> None:
        """Leave study; units short of the standard are refused (不合格的打回返工), make it up, retry."""
        pending = list(units)
        for _ in range(4):
            refused = self.fire_all(pending, "finish_study")
            if not refused:
                return
            self.fix(refused)
            pending = [v.unit for v in refused]

    def open_ledger(self, unit: str, items: list[tuple[str, Any]], rng: Random, *, early: bool) -> None:
        """边学边改: a ledger item opened during study, or from the meeting's problems."""
        if early and rng.random() > 0.3:  # noqa: PLR2004 - about a third fix while studying
            return
        item = self.dice.ledger_item(unit)
        person = rng.choice(self.leaders(unit) or ("office",))
        items.append(
            (
                unit,
                ev.LedgerItem(
                    item=item,
                    matter=rng.choice(
                        (
                            "农田水利建设滞后",
                            "用电供应不足",
                            "道路配套不全",
                            "适龄儿童上学难",
                            "环境卫生整治",
                        )
                    ),
                    department=self.org.name_of(unit),
                    person=person,
                    deadline=date(2014, 9, 30),
                    ledger=rng.choice(("民生", "困难", "稳定")),
                ),
            )
        )

    def prepare(self, units: list[str]) -> None:
        odds = self.odds
        items: list[tuple[str, Any]] = []
        for u in units:
            rng = self.dice.of(u)
            leaders = self.leaders(u)
            skip = rng.random() < odds.missing_talk or u in self.stubborn
            pairs = list(combinations(leaders, 2))
            if skip and pairs:
                pairs.remove(rng.choice(pairs))
            items.extend((u, ev.Talk(a=a, b=b)) for a, b in pairs)
            lacking = rng.random() < odds.unconfirmed_problem
            for i, wind in enumerate(ev.FourWinds):
                confirmed = not (lacking and i == 0)
                items.append(
                    (
                        u,
                        ev.Problem(
                            category=wind,
                            description=f"{ev.FOUR_WINDS_LABELS[wind]}问题",
                            confirmed=confirmed,
                        ),
                    )
                )
            self.open_ledger(u, items, rng, early=False)
            drafts = rng.randint(1, 3)
            author = self.principal(u)
            items.extend((u, ev.SelfInspection(author=author, revision=r)) for r in range(1, drafts + 1))
            self.spill(items)
        self.record(items)
        self.approve(units, stale=True)

    def approve(self, units: Iterable[str], *, stale: bool) -> None:
        """Each unit's supervision group approves its latest draft (or, sometimes, an older one).

        A supervisor's approvals of consecutive units are one batch (scoped to those
        units), in the units' order: at national scale one write per unit was the
        simulation's slowest part. The drafts are read a batch of units at a time
        (one query per unit was 7,891 at province × 0.05).
        """
        runs: list[tuple[str, list[tuple[str, Any]]]] = []
        for part in self.in_batches(units):
            supervised = [(u, members) for u in part if (members := self.supervisors_of(u))]
            drafts = self.evidence_of([u for u, _ in supervised], ev.SelfInspection)
            for u, members in supervised:
                latest = max((d.value.revision for d in drafts[u]), default=1)
                old = stale and latest > 1 and self.dice.of(u).random() < self.odds.stale_approval
                revision = latest - 1 if old else latest
                item = (u, ev.SupervisionApproval(revision=revision))
                if runs and runs[-1][0] == members[0]:
                    runs[-1][1].append(item)
                else:
                    runs.append((members[0], [item]))
        for who, items in runs:
            supervisor = cf.Actor(id=who, roles={"supervisor"}, scope={u for u, _ in items})
            self.record(items, by=supervisor)

    def fix(self, verdicts: Iterable[cf.Verdict]) -> None:
        """Each refused unit does what its verdict says is missing, the whole batch at once."""
        items: list[tuple[str, Any]] = []
        drafts = [verdict.unit for verdict in verdicts if self._fix(verdict, items)]
        self.record(items)
        # A new draft for the units whose material was not approved, then its approval.
        self.record(self._new_drafts(drafts))
        self.approve(drafts, stale=False)

    def _new_drafts(self, units: list[str]) -> Iterator[tuple[str, Any]]:
        """A draft numbered after each unit's drafts so far (read a batch of units at a time)."""
        for part in self.in_batches(units):
            drafts = self.evidence_of(part, ev.SelfInspection)
            for unit in part:
                yield unit, ev.SelfInspection(author=self.principal(unit), revision=len(drafts[unit]) + 1)

    def _fix(self, verdict: cf.Verdict, items: list[tuple[str, Any]]) -> bool:
        """Add to ``items`` what the verdict says is missing; True when the unit needs a new draft."""
        unit = verdict.unit
        failing = {f.rule for f in verdict.failures}
        leaders = self.leaders(unit)
        if "principal_chaired_study" in failing or any(
            r.startswith(("count_at_least:StudySession", "sum_at_least")) for r in failing
        ):
            items.extend(
                (
                    unit,
                    ev.StudySession(
                        hours=self.t.study_hours / max(1, self.t.study_sessions),
                        chaired_by=self.principal(unit),
                    ),
                )
                for _ in range(2)
            )
        if "study_attendance" in failing:
            items.append((unit, ev.StudySession(hours=2, attendees=leaders, chaired_by=self.principal(unit))))
        if "handbooks" in failing:
            items.append((unit, ev.MaterialsIssued(members=self.people(unit, "members"))))
        items.extend(self.visit_overdue(unit, verdict))
        if "talks_in_depth" in failing or any("Talk" in r for r in failing):
            items.extend((unit, ev.Talk(a=a, b=b)) for a, b in combinations(leaders, 2))
        if "key_problems_identified" in failing or any(r.startswith("problem:") for r in failing):
            items.extend(
                (unit, ev.Problem(category=w, description="补充查摆", confirmed=True)) for w in ev.FourWinds
            )
        return "materials_approved" in failing

    def meet(self, units: list[str]) -> None:
        """Hold meetings, parents first; refused units fix what is missing and retry."""
        pending = list(units)
        for _ in range(6):
            refused = self.fire_all(pending, "hold_meeting")
            if not refused:
                return
            # The laggards stay blocked: the 短板 the roll-up shows.
            acting = [v for v in refused if v.unit not in self.laggards]
            short = [
                v.unit
                for v in acting
                if any(f.rule.startswith(("count_at_least:StudySession", "sum_at_least")) for f in v.failures)
            ]
            for u in short:
                # 回头看 finds stage 1 short: 补课 (back to study), then redo.
                look_back(self.run, u, failed=[LookBackCheck.STUDY], by=self.overseer(u))
                self.sent_back += 1
            self.study(short, shortfall=False)
            self.fire_all(short, "finish_study")
            self.approve(short, stale=False)
            studied = set(short)
            self.fix(v for v in acting if v.unit not in studied)
            pending = [v.unit for v in refused]

    def criticise(self, units: list[str]) -> None:
        t = self.t
        items: list[tuple[str, Any]] = []
        for u in units:
            rng = self.dice.of(u)
            weak = u in self.stubborn or rng.random() < self.odds.weak_criticism
            for a, b in permutations(self.leaders(u), 2):
                n = t.criticisms - (1 if weak and rng.random() < 0.5 else 0)  # noqa: PLR2004
                items.extend((u, ev.Criticism(source=a, target=b)) for _ in range(n))
            self.spill(items)
        self.record(items)

    def evaluate(self, units: list[str]) -> None:
        pending = list(units)
        for _ in range(6):
            refused = [v.unit for v in self.fire_all(pending, "evaluate")]
            for u in refused:
                # 返工: the meeting was not critical enough; it is held again.
                self.send_back(u, "examine", reason="专题民主生活会批评不深入, 返工重开")
            self.prepare_again(refused)
            self.fire_all(refused, "hold_meeting")
            # The stubborn redo too little, and are sent back again.
            self.criticise_fully(
                u
                for u in refused
                if u not in self.stubborn or self.run.state(u).reworks.get("examine", 0) >= 4  # noqa: PLR2004
            )
            pending = refused
            if not pending:
                return

    def prepare_again(self, units: list[str]) -> None:
        """返工: the send-back voided the talks, the material and its approval; redo them."""
        items: list[tuple[str, Any]] = []
        for part in self.in_batches(units):
            drafts = self.evidence_of(part, ev.SelfInspection)
            for unit in part:
                revision = max((d.value.revision for d in drafts[unit]), default=0) + 1
                items.extend((unit, ev.Talk(a=a, b=b)) for a, b in combinations(self.leaders(unit), 2))
                items.append((unit, ev.SelfInspection(author=self.principal(unit), revision=revision)))
        self.record(items)
        self.approve(units, stale=False)

    def criticise_fully(self, units: Iterable[str]) -> None:
        self.record(
            (unit, ev.Criticism(source=a, target=b))
            for unit in units
            for a, b in permutations(self.leaders(unit), 2)
            for _ in range(self.t.criticisms)
        )

    def rectify(self, units: list[str]) -> None:
        evaluations: list[tuple[str, Any]] = []
        for u in units:
            rng = self.dice.of(u)
            evaluations.append(
                (u, ev.PublicEvaluation(score=rng.uniform(80, 99), respondents=rng.randint(30, 300)))
            )
        self.record(evaluations)
        self.fire_all(units, "start_rectify")
        closures: list[tuple[str, Any]] = []
        again: list[tuple[str, Any]] = []
        for part in self.in_batches(units):
            ledgers = self.evidence_of(part, ev.LedgerItem)
            for u in part:
                self.close_ledger(u, ledgers[u], closures, again)
                self.spill(closures)  # the re-closures in `again` follow all of these
        self.record(closures)
        self.record(again)

    def close_ledger(
        self,
        u: str,
        ledger: Iterable[cf.Recorded[Any]],
        closures: list[tuple[str, Any]],
        again: list[tuple[str, Any]],
    ) -> None:
        """The unit closes its ledger items (some rejected, closed ``again``), links households, sums up."""
        rng = self.dice.of(u)
        for item in ledger:
            rejected = rng.random() < self.odds.rejected_closure
            closures.append((u, ev.LedgerClosure(item=item.value.item, accepted=not rejected)))
            if rejected:
                again.append((u, ev.LedgerClosure(item=item.value.item, accepted=True, note="群众认可")))
        closures.extend(self.households(u, rng))
        closures.append((u, ev.AdoptedRule(title="党员领导干部行为规范")))
        closures.append((u, ev.Satisfaction(score=rng.uniform(85, 99), respondents=rng.randint(50, 500))))

    def households(self, unit: str, rng: Random) -> list[tuple[str, Any]]:
        """住村联户: each leader linked to households (a few to too few)."""
        out: list[tuple[str, Any]] = []
        need = self.t.households_per_cadre
        for n, leader in enumerate(self.leaders(unit)):
            k = need - 1 if need and rng.random() < self.odds.few_households else need
            households = tuple(f"{unit}/户{n * need + i + 1:03d}" for i in range(k))
            if households:
                out.append((unit, ev.HouseholdLink(cadre=leader, households=households)))
        return out

    def at(self, units: list[str], stage: str) -> list[str]:
        """The units that are in ``stage`` now (laggards fall behind)."""
        return [u for u in units if self.run.stage_of(u) == stage]

    def conclude(self) -> None:
        for level in reversed(self.levels()):
            refused = self.fire_all(self.at(level, "rectify"), "conclude")
            # 补课: the missing households are linked, and the unit concludes.
            short = [v.unit for v in refused if any(f.rule == "households_linked" for f in v.failures)]
            self.record(
                (unit, ev.HouseholdLink(cadre=leader, households=(f"{unit}/补{n:03d}",)))
                for unit in short
                for n, leader in enumerate(self.leaders(unit))
            )
            self.fire_all(short, "conclude")


def simulate(
    org: cf.Org,
    *,
    store: cf.Store | None = None,
    seed: int = 0,
    thresholds: Thresholds | None = None,
    odds: Odds | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    dice: Dice | None = None,
) -> Simulation:
    """Run the whole mass-line campaign over ``org`` and return the finished run.

    Args:
        org: the organisation (e.g. :func:`campaignflow.presets.zhongmou.zhongmou_org`).
        store: where to keep the log (default: in memory).
        seed: the seed of every random choice: the same seed gives the same run.
        thresholds: the campaign's standards.
        odds: how often units fall short.
        on_progress: called as ``(phase, done, total)`` after each phase.
        dice: where the random choices come from (default: one stream from
            ``seed``, the Zhongmou demo's numbers); a ``PerUnitDice(seed)``
            gives the numbers a sharded run gives (see ``shards.simulate_sharded``).
    """
    t = thresholds or Thresholds()
    chosen = dice or SharedDice(seed)
    run = start_run(org, store, t, step=clock_step(chosen))
    sim = _Sim(run, chosen, odds or Odds(), t)
    steps = phases(sim)
    for n, (name, _, phase) in enumerate(steps, start=1):
        sim.begin(n)
        sim.week()
        phase()
        if on_progress is not None:
            on_progress(name, n, len(steps))
    return Simulation(run=run, refusals=tuple(sim.kept), refused=sim.refused, sent_back=sim.sent_back)


def clock_step(dice: Dice) -> timedelta:
    """How far the simulation's clock moves per reading (each piece of evidence reads it).

    One stream: a second. Per unit: not at all within a phase, as the order in
    which a process reads the clock depends on how the units were split, and a
    unit's times must not.
    """
    return timedelta(0) if dice.per_unit else timedelta(seconds=1)


def start_run(
    org: cf.Org,
    store: cf.Store | str | None,
    t: Thresholds,
    *,
    step: timedelta,
    open_it: bool = False,
    ids: str = "ev",
) -> cf.Run:
    """The simulation's run over ``store``: started (or, ``open_it``, opened), with its clock and ids."""
    campaign = build_campaign(t, escalate=lambda _: None)
    clock = cf.FixedClock(step=step)
    if open_it:
        return campaign.open(org, store, clock=clock, ids=cf.CountingIds(ids))
    return campaign.start(org, store=store, clock=clock, ids=cf.CountingIds(ids))


def phases(sim: _Sim) -> list[tuple[str, Order, Callable[[], object]]]:
    """The campaign's phases for ``sim``'s units: each a week, in order, with how its units wait."""
    units = sim.units
    return [
        ("动员部署", Order.DOWN, sim.mobilise),
        ("学习教育、听取意见", Order.ANY, lambda: sim.study(units, shortfall=True)),
        ("转入查摆问题", Order.ANY, lambda: sim.finish_study(units)),
        ("会前准备", Order.ANY, lambda: sim.prepare(units)),
        ("专题民主生活会", Order.DOWN, lambda: _by_level(sim, sim.meet)),
        ("开展批评", Order.ANY, lambda: sim.criticise(sim.at(units, "examine.meeting"))),
        (
            "群众评议",
            Order.DOWN,
            lambda: _by_level(sim, lambda level: sim.evaluate(sim.at(level, "examine.meeting"))),
        ),
        ("整改落实、建章立制", Order.ANY, lambda: sim.rectify(sim.at(units, "examine.evaluation"))),
        ("总结", Order.UP, sim.conclude),
    ]


def _by_level(sim: _Sim, step: Callable[[list[str]], None]) -> None:
    for level in sim.levels():
        step(level)
