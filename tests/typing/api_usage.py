"""API usage that must type-check under mypy --strict (run by mypy, not pytest)."""

from __future__ import annotations

import attrs

import campaignflow as cf


@attrs.frozen
class Doc:
    pages: int


def build() -> cf.Campaign:
    c = cf.Campaign("typed")
    c.stages("a", "b")
    c.transition("go", "a", "b", gate=cf.all_of(cf.count_at_least(Doc, 1), cf.sum_at_least(Doc, "pages", 3)))
    return c


def use() -> bool:
    run: cf.Run = build().start(["u1"])
    actor = cf.Actor(id="me", roles={"clerk"})
    step: cf.Step = run.record("u1", Doc(pages=3), by=actor)
    verdict: cf.Verdict = run.check("u1", "go")
    findings: tuple[cf.Finding, ...] = verdict.failures
    progress: cf.Progress = run.progress()
    return step.seq > 0 and verdict.passed and not findings and progress.total == 1


def notify(run: cf.Run, step: cf.Step) -> None:
    del run, step


def use_inbox() -> int:
    from datetime import timedelta  # noqa: PLC0415 - local to this usage

    c = cf.Campaign("typed-inbox")
    c.stage("a", due_after=timedelta(days=30))
    c.stage("b")
    c.transition("go", "a", "b", allowed=cf.role("clerk"))
    c.on_enter("b", notify).on_fire("go", notify)
    run = c.start(["u1"])
    actor = cf.Actor(id="me", roles={"clerk"}, scope={"u1"})
    actions: tuple[cf.NextAction, ...] = run.next_actions("u1", by=actor)
    items: tuple[cf.AwaitingItem, ...] = run.awaiting(actor, limit=10, offset=0)
    late: tuple[cf.Overdue, ...] = run.overdue()
    try:
        run.fire("u1", "go", by=actor)
    except cf.HookFailed as failed:
        print(failed.errors)  # noqa: T201 - a usage example
    reopened: cf.Run = c.open(["u1"], run.store, new_units="start")
    return len(actions) + len(items) + len(late) + len(reopened.awaiting(actor))
