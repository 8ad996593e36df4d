"""The campaign builder: plain Python that yields a frozen :class:`Definition`.

What a campaign *is*: declaring stages, transitions, rules, rework and duties,
then freezing them. Starting, opening, verifying and checking a campaign need the
layers above (run, store, testing); :class:`campaignflow.Campaign` adds those
verbs on top of this builder, so this module imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Self

import attrs

from campaignflow.definition.actors import Allowed
from campaignflow.definition.checks import duplicate_ids, hook_problems, unreachable
from campaignflow.definition.combinators import AllOf, AnyOf, Not, walk
from campaignflow.definition.context import evidence_name
from campaignflow.definition.gates import Ref, RuleLike, _as_rule, rule
from campaignflow.definition.hooks import Hook, HookFn, On
from campaignflow.definition.model import (
    SEPARATOR,
    Definition,
    EscalateFn,
    Rework,
    Stage,
    Transition,
)
from campaignflow.definition.obligations import Cadence, Obligation, make_obligation
from campaignflow.definition.ordering import ChildrenDone, OrderingRule, deadlocks
from campaignflow.definition.people_rules import NotOverdue
from campaignflow.definition.review import Review, ReviewRecord, ReviewsPassed, build_reviews, make_review
from campaignflow.definition.rules import CustomRule, Rule, RuleFn
from campaignflow.definition.sharing import CountsBelow, make_counts_below
from campaignflow.exceptions import DefinitionError

RESERVED_EVENTS = frozenset({"send_back", "record", "retract"})


class CampaignBuilder:
    """A campaign under construction; :meth:`build` freezes and validates it.

    Example::

        campaign = cf.Campaign("safety-2026", label="安全生产大检查")
        campaign.stages("mobilise", "inspect", "rectify", "closed")
        campaign.transition("start", "mobilise", "inspect")

    Args:
        id: the campaign id (stored with every run).
        label: a human label in any language.
    """

    def __init__(self, id: str, *, label: str = "") -> None:  # noqa: A002
        if not isinstance(id, str) or not id.strip():
            msg = f"a campaign needs a non-empty string id, got {id!r}"
            raise DefinitionError(msg)
        self.id = id
        self.label = label or id
        self._stages: list[Stage] = []
        self._transitions: list[Transition] = []
        self._reworks: list[Rework] = []
        self._rules: dict[str, Rule] = {}
        self._evidence: list[type[Any]] = []
        self._obligations: dict[str, Obligation] = {}
        self._counts_below: dict[str, CountsBelow] = {}
        self._reviews: dict[str, Review] = {}
        self._hooks: list[Hook] = []
        self._built: Definition | None = None

    # ------------------------------------------------------------ declaring

    def _mutable(self) -> None:
        if self._built is not None:
            msg = (
                f"campaign {self.id!r} is already built (frozen); "
                "declare everything before build() or start()"
            )
            raise DefinitionError(msg)

    def stages(self, *stages: str | Stage) -> Self:
        """Declare stages in order; strings are stage ids without labels."""
        self._mutable()
        for s in stages:
            self._stages.append(Stage(id=s) if isinstance(s, str) else s)
        return self

    def stage(
        self,
        id: str,  # noqa: A002 - `id` is the natural public keyword
        *,
        label: str = "",
        substages: Iterable[str | Stage] = (),
        due: datetime | None = None,
        due_after: timedelta | None = None,
    ) -> Self:
        """Declare one stage with a label, optional nested sub-stages and a deadline.

        Units still in the stage after ``due`` (an aware datetime), or longer than
        ``due_after`` after entering it (``timedelta(days=30)``: 每个乡镇进入本环节
        30天内), count as overdue in ``run.progress()`` and ``run.overdue()``.
        """
        subs = tuple(Stage(id=s) if isinstance(s, str) else s for s in substages)
        return self.stages(Stage(id=id, label=label, substages=subs, due=due, due_after=due_after))

    def transition(
        self,
        event: str,
        source: str | Iterable[str],
        dest: str,
        *,
        gate: RuleLike | None = None,
        order: RuleLike | Iterable[RuleLike] = (),
        allowed: Allowed | Iterable[str] | None = None,
        label: str = "",
    ) -> Self:
        """Declare that ``event`` moves a unit from ``source`` to ``dest``.

        Args:
            event: the event name (``"hold_meeting"``).
            source: one stage path or several.
            dest: the stage path entered.
            gate: a rule or combinator that must hold (rule ids are resolved at build).
            order: ordering constraints (``cf.parent_first()``...), checked before the gate.
            allowed: ``cf.role(...)`` or role names; ``None`` allows any actor in scope.
            label: a human label.
        """
        self._mutable()
        sources = (source,) if isinstance(source, str) else tuple(source)
        orders = (order,) if isinstance(order, Rule | str) else tuple(order)
        if allowed is not None and not isinstance(allowed, Allowed):
            allowed = Allowed(frozenset(allowed))
        self._transitions.append(
            Transition(
                event=event,
                sources=sources,
                dest=dest,
                gate=None if gate is None else _as_rule(gate),
                order=tuple(_as_rule(o) for o in orders),
                allowed=allowed,
                label=label,
            )
        )
        return self

    def rework(
        self,
        stage: str,
        *,
        limit: int = 3,
        escalate: EscalateFn | None = None,
        allowed: Allowed | Iterable[str] | None = None,
        redo: Iterable[type[Any]] = (),
    ) -> Self:
        """Allow sending units back to ``stage`` (返工), counted, escalating past ``limit``.

        ``redo``: the evidence types a send-back voids (补课: redo the work). After a
        send-back to ``stage`` every gate, declared or custom, counts only the
        records of those types made since the unit's latest send-back there; the
        older ones stay in the log and in ``run.evidence()``.

        Raises:
            DefinitionError: ``redo`` holds something that is not a class.
        """
        self._mutable()
        if allowed is not None and not isinstance(allowed, Allowed):
            allowed = Allowed(frozenset(allowed))
        redone = tuple(redo)
        wrong = [r for r in redone if not isinstance(r, type)]
        if wrong:
            msg = f"rework({stage!r}, redo=...): pass evidence classes, got {wrong!r}"
            raise DefinitionError(msg)
        self._reworks.append(
            Rework(stage=stage, limit=limit, escalate=escalate, allowed=allowed, redo=redone)
        )
        return self

    def review(
        self,
        name: str,
        *,
        reopens: str,
        checks: Mapping[str, RuleLike],
        label: str = "",
        allowed: Allowed | Iterable[str] | None = None,
    ) -> Self:
        """Declare a look-back review (回头看) with named checks.

        ``run.review(unit, name, by=actor)`` judges every check; when any fails it
        sends the unit back to ``reopens`` (a rework to that stage must be declared),
        and the unit cannot leave that stage again until every failed check passes.

        Example::

            campaign.review("look_back", reopens="study", label="回头看",
                            checks={"学习教育是否扎实": study_ok, "听取意见是否广泛": heard})

        Raises:
            DefinitionError: the name is not an identifier, a check is not a rule, or
                the review is declared twice.
        """
        self._mutable()
        if allowed is not None and not isinstance(allowed, Allowed):
            allowed = Allowed(frozenset(allowed))
        if name in self._reviews:
            msg = f"review {name!r} declared twice: give the second another name"
            raise DefinitionError(msg)
        given = checks if isinstance(checks, Mapping) else {}
        made = {lb: Ref(id=r) if isinstance(r, str) else r for lb, r in given.items()}
        self._reviews[name] = make_review(name, reopens=reopens, checks=made, label=label, allowed=allowed)
        return self

    def rule(
        self,
        id: str,  # noqa: A002
        *,
        label: str | None = None,
        reads: tuple[type[Any], ...] = (),
        roles: tuple[str, ...] = (),
    ) -> Callable[[RuleFn], CustomRule]:
        """Register a custom rule by id (usable by name in gates).

        Example::

            @campaign.rule("fire_exits", label="消防通道畅通", reads=(Exit,))
            def fire_exits(ctx): ...
        """
        self._mutable()
        make = rule(id, label=label, reads=reads, roles=roles)

        def register(fn: RuleFn) -> CustomRule:
            made = make(fn)
            self.add_rule(made)
            return made

        return register

    def add_rule(self, made: Rule) -> Self:
        """Register an existing rule so gates may refer to it by id."""
        self._mutable()
        if made.id in self._rules:
            msg = f"rule id {made.id!r} registered twice in campaign {self.id!r}: rename one"
            raise DefinitionError(msg)
        self._rules[made.id] = made
        return self

    def evidence(self, *types: type[Any]) -> Self:
        """Declare evidence types that may be recorded (types read by rules are added too)."""
        self._mutable()
        for tp in types:
            candidate: object = tp
            if not isinstance(candidate, type):
                msg = f"evidence() takes classes, got {tp!r}"
                raise DefinitionError(msg)
            self._evidence.append(tp)
        return self

    def obligation(
        self,
        id: str,  # noqa: A002
        *,
        role: str,
        every: timedelta | Cadence,
        evidence: type[Any],
        by: str,
        starts: datetime,
        via: str = "contacts",
        grace: timedelta = timedelta(0),
        ends: datetime | None = None,
        when: str | None = None,
        where: Callable[[Any], bool] | None = None,
        label: str = "",
    ) -> Obligation:
        """Declare a recurring obligation and return it (for :func:`not_overdue` gates).

        Example (县领导每周深入联系点)::

            visits = campaign.obligation(
                "contact_visits", role="leadership", via="contacts",
                every=timedelta(weeks=1), grace=timedelta(days=2),
                evidence=Visit, by="leader", starts=datetime(2014, 3, 3, tzinfo=UTC),
            )

        Each person with ``role`` owes, toward each unit reached ``via`` their
        contact points (``"contacts"``), their own unit (``"own"``) or the units
        below it (``"children"``), one ``evidence`` naming them in field ``by``,
        recorded at that unit, per period. ``every`` is a ``timedelta`` or a
        calendar period, ``"week"`` (from Monday), ``"month"`` or ``"quarter"``
        (每周、每月、每季度), in the time zone of ``starts``. ``run.obligations()``
        reports them.
        """
        self._mutable()
        made = make_obligation(
            id,
            role=role,
            via=via,
            every=every,
            evidence=evidence,
            by=by,
            starts=starts,
            grace=grace,
            ends=ends,
            when=when,
            where=where,
            label=label,
        )
        if made.id in self._obligations:
            msg = f"obligation {made.id!r} declared twice in campaign {self.id!r}: rename one"
            raise DefinitionError(msg)
        self._obligations[made.id] = made
        return made

    def counts_below(
        self,
        evidence: type[Any],
        *,
        people: str,
        levels: int = 1,
        roles: str | tuple[str, ...] | list[str] = (),
    ) -> Self:
        """Let ``evidence`` recorded at a unit count for invited people up to ``levels`` below.

        学习上延一级: ``campaign.counts_below(StudySession, people="attendees",
        roles=("principal",))`` credits a county study session to each township
        principal it lists, at their township, in every rule that counts people
        (``every_member_has``, ``coverage``). Nobody outside the invited roles and
        levels is credited, and each person counts once per record.
        """
        self._mutable()
        made = make_counts_below(evidence, people=people, levels=levels, roles=roles)
        if made.kind in self._counts_below:
            msg = f"counts_below({made.kind}) declared twice in campaign {self.id!r}: keep one"
            raise DefinitionError(msg)
        self._counts_below[made.kind] = made
        self._evidence.append(evidence)
        return self

    # ------------------------------------------------------------ hooks

    def _hook(self, on: On, key: str, fn: HookFn) -> Self:
        self._mutable()
        candidate: object = fn
        if not callable(candidate):
            msg = f"on_{on.value}({key!r}, ...) takes a function fn(run, step), got {fn!r}"
            raise DefinitionError(msg)
        self._hooks.append(Hook(on=on, key=key, fn=fn))
        return self

    def on_enter(self, stage: str, fn: HookFn) -> Self:
        """Call ``fn(run, step)`` after each committed move into ``stage`` (a compound stage once).

        Hooks run after the write, in the calling thread, never while a run is
        opened or replayed. A hook that raises does not undo the move: the error is
        logged (``hook_failed``) and raised to the caller as :class:`~campaignflow.HookFailed`
        once every hook of the call has run.
        """
        return self._hook(On.ENTER, stage, fn)

    def on_exit(self, stage: str, fn: HookFn) -> Self:
        """Call ``fn(run, step)`` after each committed move out of ``stage`` (see :meth:`on_enter`)."""
        return self._hook(On.EXIT, stage, fn)

    def on_fire(self, event: str, fn: HookFn) -> Self:
        """Call ``fn(run, step)`` after each committed fire of ``event`` (see :meth:`on_enter`)."""
        return self._hook(On.FIRE, event, fn)

    def on_send_back(self, stage: str, fn: HookFn) -> Self:
        """Call ``fn(run, step)`` after each committed send-back to ``stage`` (see :meth:`on_enter`)."""
        return self._hook(On.SEND_BACK, stage, fn)

    # ------------------------------------------------------------ building

    def build(self) -> Definition:
        """Validate and freeze; every problem found is listed in one DefinitionError."""
        if self._built is None:
            self._built = _Builder(self).build()
        return self._built

    @property
    def definition(self) -> Definition:
        """The built definition (builds on first use)."""
        return self.build()


def attach(transitions: list[Transition], reviews: Mapping[str, Review], covers: Any) -> list[Transition]:
    """Each transition leaving a reviewed stage, with a :class:`ReviewsPassed` rule in its ordering.

    ``covers(stage, leaf)`` says whether ``leaf`` is ``stage`` or inside it.
    """
    by_stage: dict[str, list[Review]] = {}
    for review in reviews.values():
        by_stage.setdefault(review.reopens, []).append(review)
    out = []
    for t in transitions:
        extra = tuple(
            ReviewsPassed(
                stage=stage,
                reviews=tuple(found),
                id=f"reviews_passed:{stage}",
                label=f"{'、'.join(r.label for r in found)}: failed checks pass again",
            )
            for stage, found in by_stage.items()
            if any(covers(stage, s) or covers(s, stage) for s in t.sources) and not covers(stage, t.dest)
        )
        out.append(attrs.evolve(t, order=(*t.order, *extra)) if extra else t)
    return out


class _Builder:
    """Validation of a campaign, collecting every problem before raising."""

    def __init__(self, campaign: CampaignBuilder) -> None:
        self.c = campaign
        self.problems: list[str] = []
        self.dues: dict[str, datetime] = {}
        self.due_afters: dict[str, timedelta] = {}

    def flatten(self) -> tuple[list[str], list[str], dict[str, str]]:
        paths: list[str] = []
        leaves: list[str] = []
        labels: dict[str, str] = {}

        def visit(stage: Stage, prefix: str) -> None:
            if not isinstance(stage.id, str) or not stage.id or SEPARATOR in stage.id:
                self.problems.append(
                    f"stage id {stage.id!r} must be a non-empty string without {SEPARATOR!r}"
                )
                return
            path = prefix + stage.id
            if path in labels:
                self.problems.append(f"stage {path!r} declared twice")
                return
            paths.append(path)
            labels[path] = stage.label
            self.deadlines(path, stage)
            if stage.substages:
                for sub in stage.substages:
                    visit(sub, path + SEPARATOR)
            else:
                leaves.append(path)

        for stage in self.c._stages:  # noqa: SLF001 - the builder is the campaign's own helper
            visit(stage, "")
        return paths, leaves, labels

    def deadlines(self, path: str, stage: Stage) -> None:
        """Collect the stage's ``due`` and ``due_after``, refusing bad ones."""
        if stage.due is not None:
            if stage.due.tzinfo is None:
                self.problems.append(
                    f"stage {path!r}: due {stage.due.isoformat()} is naive; give it a tzinfo"
                )
            self.dues[path] = stage.due
        if stage.due_after is not None:
            if not isinstance(stage.due_after, timedelta) or stage.due_after <= timedelta(0):
                self.problems.append(
                    f"stage {path!r}: due_after must be a positive timedelta, got {stage.due_after!r}"
                )
            self.due_afters[path] = stage.due_after

    def resolve(self, r: Rule, where: str) -> Rule:
        if isinstance(r, Ref):
            found = self.c._rules.get(r.id)  # noqa: SLF001
            if found is None:
                known = ", ".join(sorted(self.c._rules)) or "(none registered)"  # noqa: SLF001
                self.problems.append(f"{where}: unknown rule {r.id!r} (registered: {known})")
                return r
            return found
        if isinstance(r, AllOf | AnyOf):
            return attrs.evolve(r, rules=tuple(self.resolve(x, where) for x in r.rules))
        if isinstance(r, Not):
            return attrs.evolve(r, rule=self.resolve(r.rule, where))
        return r

    def transition(
        self, t: Transition, paths: list[str], leaves: list[str], seen: set[tuple[str, str]]
    ) -> Transition:
        where = f"transition {t.event!r}"
        known = set(paths)
        if not isinstance(t.event, str) or not t.event.isidentifier():
            self.problems.append(f"{where}: event names must be identifiers")
        if t.event in RESERVED_EVENTS:
            self.problems.append(f"{where}: {t.event!r} is reserved; use another name")
        if not t.sources:
            self.problems.append(f"{where}: no source stage")
        self.problems.extend(
            f"{where}: unknown stage {s!r} (declared: {', '.join(paths)})"
            for s in (*t.sources, t.dest)
            if s not in known
        )
        for s in t.sources:
            if (t.event, s) in seen:
                self.problems.append(f"{where}: declared twice from stage {s!r}")
            seen.add((t.event, s))
        gate = None if t.gate is None else self.resolve(t.gate, where)
        order = tuple(self.resolve(o, where) for o in t.order)
        self.problems.extend(
            f"{where}: order= takes ordering constraints (cf.parent_first(), ...), "
            f"got rule {o.id!r}; put it in gate="
            for o in order
            if not isinstance(o, OrderingRule)
        )
        self.problems.extend(
            f"{where}: children_done on unknown stage {o.stage!r}"
            for o in order
            if isinstance(o, ChildrenDone) and o.stage not in known
        )
        self.problems.extend(f"{where}: {p}" for p in deadlocks(order, t.dest, leaves))
        self.problems.extend(f"{where}: {p}" for p in duplicate_ids((*order, *([gate] if gate else []))))
        return attrs.evolve(t, gate=gate, order=order)

    def build(self) -> Definition:
        c = self.c
        if not c._stages:  # noqa: SLF001
            self.problems.append("no stages declared: call campaign.stages(...)")
        paths, leaves, labels = self.flatten()
        known = set(paths)
        seen: set[tuple[str, str]] = set()
        transitions = [self.transition(t, paths, leaves, seen) for t in c._transitions]  # noqa: SLF001
        reworks: dict[str, Rework] = {}
        for rw in c._reworks:  # noqa: SLF001
            if rw.stage not in known:
                self.problems.append(f"rework: unknown stage {rw.stage!r}")
            if rw.stage in reworks:
                self.problems.append(f"rework to {rw.stage!r} declared twice")
            if isinstance(rw.limit, bool) or not isinstance(rw.limit, int) or rw.limit < 0:
                self.problems.append(f"rework to {rw.stage!r}: limit must be an int ≥ 0")
            reworks[rw.stage] = rw
        initial = leaves[0] if leaves else ""
        reviews = build_reviews(c._reviews, known, reworks, self.resolve, self.problems)  # noqa: SLF001
        transitions = attach(
            transitions, reviews, lambda stage, leaf: leaf == stage or leaf.startswith(stage + SEPARATOR)
        )
        self.problems.extend(unreachable(leaves, initial, transitions))
        self.problems.extend(hook_problems(c._hooks, transitions, reworks, paths))  # noqa: SLF001
        obligations = self.collect_obligations(transitions)
        evidence = self.collect_evidence(transitions, obligations)
        if self.problems:
            listing = "\n  - ".join(self.problems)
            msg = f"campaign {c.id!r} is invalid:\n  - {listing}"
            raise DefinitionError(msg, problems=tuple(self.problems))
        return Definition(
            id=c.id,
            label=c.label,
            stages=tuple(c._stages),  # noqa: SLF001
            transitions=tuple(transitions),
            reworks=reworks,
            rules=dict(c._rules),  # noqa: SLF001
            evidence_types=evidence,
            paths=tuple(paths),
            leaves=tuple(leaves),
            initial=initial,
            stage_labels=labels,
            dues=self.dues,
            due_afters=self.due_afters,
            obligations=obligations,
            counts_below=dict(c._counts_below),  # noqa: SLF001
            reviews=reviews,
            hooks=tuple(c._hooks),  # noqa: SLF001
        )

    def collect_obligations(self, transitions: list[Transition]) -> dict[str, Obligation]:
        """Declared obligations, plus those a ``not_overdue`` gate names."""
        out = dict(self.c._obligations)  # noqa: SLF001
        for t in transitions:
            for root in (t.gate, *t.order):
                for r in walk(root) if root is not None else ():
                    if not isinstance(r, NotOverdue):
                        continue
                    ob = r.obligation
                    if out.setdefault(ob.id, ob) != ob:
                        self.problems.append(
                            f"transition {t.event!r}: not_overdue names obligation {ob.id!r}, "
                            "but another obligation has that id: rename one"
                        )
        return out

    def collect_evidence(
        self, transitions: list[Transition], obligations: dict[str, Obligation]
    ) -> dict[str, type[Any]]:
        types: list[type[Any]] = list(self.c._evidence)  # noqa: SLF001
        types.extend(ob.evidence for ob in obligations.values())
        types.extend(tp for rw in self.c._reworks for tp in rw.redo)  # noqa: SLF001
        if self.c._reviews:  # noqa: SLF001
            types.append(ReviewRecord)
        roots: list[Rule] = [g for t in transitions for g in (t.gate, *t.order) if g is not None]
        roots.extend(self.c._rules.values())  # noqa: SLF001
        roots.extend(r for review in self.c._reviews.values() for _, r in review.checks)  # noqa: SLF001
        for root in roots:
            for r in walk(root):
                types.extend(r.reads)
        out: dict[str, type[Any]] = {}
        for tp in types:
            name = evidence_name(tp)
            if out.get(name, tp) is not tp:
                self.problems.append(f"two evidence types are both named {name!r}: rename one class")
            out[name] = tp
        return out
