"""The safety-inspection campaign written from scratch, run over three plants.

Run: python examples/safety_from_scratch.py
"""

from __future__ import annotations

import attrs

import campaignflow as cf


@attrs.frozen
class Inspection:
    """One inspection round."""

    hours: float


@attrs.frozen
class Exit:
    """A fire exit checked."""

    location: str
    blocked: bool


def build() -> cf.Campaign:
    """The campaign: mobilise → inspect → rectify → closed."""
    campaign = cf.Campaign("safety-2026", label="安全生产大检查")
    campaign.stage("mobilise", label="动员部署")
    campaign.stage("inspect", label="检查")
    campaign.stage("rectify", label="整改")
    campaign.stage("closed", label="总结")

    @campaign.rule("fire_exits", label="消防通道畅通", reads=(Exit,))
    def fire_exits(ctx: cf.Context) -> cf.Finding:
        blocked = [e.location for e in ctx.evidence(Exit) if e.blocked]
        return cf.fail(f"exits blocked: {'、'.join(blocked)}") if blocked else cf.ok()

    campaign.transition("start", "mobilise", "inspect", label="启动")
    campaign.transition(
        "approve",
        "inspect",
        "rectify",
        gate=cf.all_of(
            cf.count_at_least(Inspection, 2, label="检查不少于2次"),
            "fire_exits",
            label="检查验收",
        ),
        allowed=cf.role("inspector"),
        label="验收",
    )
    campaign.transition("close", "rectify", "closed", allowed=cf.role("inspector"), label="结束")
    campaign.rework("inspect", limit=2)
    return campaign


def main() -> cf.Run:
    """Run the campaign: one plant passes, one is refused, one never starts."""
    run = build().start(["plant-1", "plant-2", "plant-3"])
    wang = cf.Actor(id="wang", roles={"inspector"})
    for plant in ("plant-1", "plant-2"):
        run.fire(plant, "start", by=wang)
        run.record(plant, Inspection(hours=2), by=wang)
        run.record(plant, Inspection(hours=1), by=wang)
    run.record("plant-1", Exit(location="东门", blocked=False), by=wang)
    run.record("plant-2", Exit(location="北门", blocked=True), by=wang)
    run.fire("plant-1", "approve", by=wang)
    print(run.check("plant-2", "approve").explain())
    print(dict(run.progress().by_stage))
    return run


if __name__ == "__main__":
    main()
