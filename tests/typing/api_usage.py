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
