"""A small safety-inspection campaign (安全生产大检查): the example of the design notes.

Four stages — mobilise, inspect, rectify, closed — over any list of sites. The
``approve`` gate needs enough inspections, every fire exit clear, and the
inspector's sign-off; ``close`` needs every hazard fixed. Used by
``campaignflow demo`` until the mass-line preset lands, and by the tutorial.
"""

from __future__ import annotations

import attrs

import campaignflow as cf


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        msg = f"{attribute.name} must be > 0, got {value!r}"
        raise ValueError(msg)


@attrs.frozen(kw_only=True)
class Briefing:
    """A mobilisation briefing held at the site (动员会)."""

    attendees: int = attrs.field(validator=attrs.validators.ge(1))


@attrs.frozen(kw_only=True)
class Inspection:
    """One inspection round, with its length in hours."""

    hours: float = attrs.field(validator=_positive)
    inspector: str = ""


@attrs.frozen(kw_only=True)
class Exit:
    """A fire exit checked during inspection."""

    location: str
    blocked: bool


@attrs.frozen(kw_only=True)
class Hazard:
    """A hazard found; ``fixed`` once rectified."""

    description: str
    fixed: bool = False


@attrs.frozen(kw_only=True)
class SignOff:
    """The inspector's sign-off on the inspection report."""

    note: str = ""


def campaign(*, min_inspections: int = 2, min_hours: float = 4, limit: int = 3) -> cf.Campaign:
    """Build the safety campaign.

    Args:
        min_inspections: inspections needed before approval.
        min_hours: total inspection hours needed before approval.
        limit: send-backs to ``inspect`` tolerated before escalation.
    """
    c = cf.Campaign("safety-2026", label="安全生产大检查")
    c.stage("mobilise", label="动员部署")
    c.stage("inspect", label="检查")
    c.stage("rectify", label="整改")
    c.stage("closed", label="总结")
    c.evidence(Briefing, Inspection, Exit, Hazard, SignOff)

    @c.rule("fire_exits", label="消防通道畅通", reads=(Exit,))
    def fire_exits(ctx: cf.Context) -> cf.Finding:
        records = ctx.records(Exit)
        if not records:
            return cf.fail("no fire exit checked yet", missing=("Exit",))
        blocked = [r for r in records if r.value.blocked]
        if blocked:
            where = "、".join(r.value.location for r in blocked)
            return cf.fail(
                f"{len(blocked)} of {len(records)} exits blocked: {where}",
                evidence=[r.id for r in blocked],
                missing=[r.value.location for r in blocked],
            )
        return cf.ok(f"all {len(records)} exits clear", evidence=[r.id for r in records])

    @c.rule("hazards_fixed", label="隐患全部整改", reads=(Hazard,))
    def hazards_fixed(ctx: cf.Context) -> cf.Finding:
        open_ = [r for r in ctx.records(Hazard) if not r.value.fixed]
        if open_:
            listing = "; ".join(r.value.description for r in open_)
            return cf.fail(
                f"{len(open_)} hazards not fixed: {listing}",
                evidence=[r.id for r in open_],
                missing=[r.value.description for r in open_],
            )
        return cf.ok("no open hazard")

    c.transition(
        "start",
        "mobilise",
        "inspect",
        gate=cf.exists(Briefing, label="召开动员会"),
        allowed=cf.role("secretary", "inspector"),
        label="启动检查",
    )
    c.transition(
        "approve",
        "inspect",
        "rectify",
        gate=cf.all_of(
            cf.count_at_least(Inspection, min_inspections, label=f"检查不少于{min_inspections}次"),
            cf.sum_at_least(Inspection, "hours", min_hours, label=f"检查不少于{min_hours:g}小时"),
            "fire_exits",
            cf.exists(SignOff, label="检查员签字"),
            id="approve_gate",
            label="检查验收",
        ),
        allowed=cf.role("inspector"),
        label="验收检查",
    )
    c.transition(
        "close",
        "rectify",
        "closed",
        gate=cf.all_of("hazards_fixed", id="close_gate", label="整改验收"),
        allowed=cf.role("inspector"),
        label="结束",
    )
    c.rework("inspect", limit=limit)
    return c
