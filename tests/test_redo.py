"""Redo on send-back (返工): a rework's ``redo=`` evidence does not count again after it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import campaignflow as cf
from conftest import reset_pg

OFFICE = cf.Actor(id="office")
NEED = 2


@attrs.frozen
class Note:
    """学习笔记: one study note."""

    text: str = "笔记"


@attrs.frozen
class Plan:
    """整改方案: not redone by the send-back."""

    text: str = "方案"


def campaign() -> cf.Campaign:
    c = cf.Campaign("redo")
    c.stages(cf.Stage(id="study", label="学习教育"), cf.Stage(id="examine", label="查摆问题"), "rectify")

    @c.rule("one_note_each", label="自定义: 至少一篇笔记", reads=(Note,))
    def one_note(ctx: cf.Context) -> cf.Finding:
        notes = ctx.records(Note)
        return cf.ok(f"{len(notes)} notes") if notes else cf.fail("no note since the send-back")

    c.transition(
        "finish_study",
        "study",
        "examine",
        gate=cf.all_of(cf.count_at_least(Note, NEED, label="笔记不少于2篇"), cf.exists(Plan, label="方案")),
        label="学习环节结束",
    )
    c.transition("finish_examine", "examine", "rectify", gate="one_note_each", label="查摆环节结束")
    c.rework("study", limit=5, redo=(Note,))
    return c


def org() -> cf.Org:
    return cf.Org.from_dicts(
        [
            {"id": "zm", "parent": None, "level": "county", "name": "中牟县"},
            {"id": "hs", "parent": "zm", "level": "township", "name": "韩寺镇"},
        ],
        levels=("county", "township"),
    )


class TestRedo:
    def test_a_send_back_voids_the_redo_types_until_new_ones_are_recorded(self) -> None:
        """count_at_least(Note, 2) held before the send-back; after it, it fails until two new Notes."""
        run = campaign().start(org(), clock=cf.FixedClock(), ids=cf.CountingIds())
        run.record_many([("hs", Note()), ("hs", Note()), ("hs", Plan())], by=OFFICE)
        run.fire("hs", "finish_study", by=OFFICE)
        run.send_back("hs", "study", reason="学习笔记敷衍, 返工", by=OFFICE)
        verdict = run.check("hs", "finish_study")
        assert [f.label for f in verdict.failures] == ["笔记不少于2篇"]  # the Plan still counts
        reason = verdict.failures[0].reason
        assert reason.startswith("0 of 2 Note recorded (2 missing)")
        assert "2 Note recorded before the send-back to 学习教育 (study)" in reason
        assert "not counted" in reason
        assert len(run.evidence("hs", Note)) == NEED  # the old notes stay in the log
        run.record("hs", Note(), by=OFFICE)
        assert not run.check("hs", "finish_study").passed
        run.record("hs", Note(), by=OFFICE)
        assert run.check("hs", "finish_study").passed

    def test_custom_rules_read_through_the_context_and_may_ask_for_everything(self) -> None:
        """A custom rule's ctx.records sees only post-send-back Notes; ctx.all_records sees them all."""
        run = campaign().start(org(), clock=cf.FixedClock(), ids=cf.CountingIds())
        run.record_many([("hs", Note()), ("hs", Note()), ("hs", Plan())], by=OFFICE)
        run.fire("hs", "finish_study", by=OFFICE)
        run.send_back("hs", "study", reason="返工", by=OFFICE)
        run.record_many([("hs", Note()), ("hs", Note())], by=OFFICE)
        run.fire("hs", "finish_study", by=OFFICE)
        ctx = cf.Context(
            unit="hs", stage="examine", event="finish_examine", actor=None, now=run.clock(), run=run
        )
        assert (len(ctx.records(Note)), len(ctx.all_records(Note))) == (2, 4)
        assert run.check("hs", "finish_examine").passed

    def test_a_reopened_sqlite_run_still_voids(self, tmp_path: Path) -> None:
        """The cut-off is read from the log: a run opened afresh on the same database voids the same."""
        url = f"sqlite:///{tmp_path / 'r.db'}"
        run = campaign().start(org(), store=url, clock=cf.FixedClock(), ids=cf.CountingIds())
        run.record_many([("hs", Note()), ("hs", Note()), ("hs", Plan())], by=OFFICE)
        run.fire("hs", "finish_study", by=OFFICE)
        run.send_back("hs", "study", reason="返工", by=OFFICE)
        again = campaign().open(org(), url)
        assert not again.check("hs", "finish_study").passed
        assert len(again.evidence("hs", Note)) == NEED

    def test_a_batch_fire_voids_the_same(self, tmp_path: Path) -> None:
        """fire_many reads its units' evidence at once (SQLite): voided records do not count there either."""
        url = f"sqlite:///{tmp_path / 'b.db'}"
        run = campaign().start(org(), store=url, clock=cf.FixedClock(), ids=cf.CountingIds())
        items = [(u, v) for u in ("zm", "hs") for v in (Note(), Note(), Plan())]
        run.record_many(items, by=OFFICE)
        run.fire_many(["zm", "hs"], "finish_study", by=OFFICE)
        run.send_back("hs", "study", reason="返工", by=OFFICE)
        run.send_back("zm", "study", reason="返工", by=cf.Actor(id="province"))
        run.record("zm", Note(), by=OFFICE)
        run.record("zm", Note(), by=OFFICE)
        result = run.fire_many(["zm", "hs"], "finish_study", by=OFFICE)
        assert ([s.unit for s in result.fired], [v.unit for v in result.refused]) == (["zm"], ["hs"])
        assert "not counted" in result.refused[0].failures[0].reason

    def test_without_redo_a_send_back_voids_nothing(self) -> None:
        """A rework without redo= keeps today's behaviour: the old evidence counts again."""
        c = cf.Campaign("plain")
        c.stages("study", "examine")
        c.transition("finish_study", "study", "examine", gate=cf.count_at_least(Note, NEED))
        c.rework("study")
        run = c.start(org())
        run.record_many([("hs", Note()), ("hs", Note())], by=OFFICE)
        run.fire("hs", "finish_study", by=OFFICE)
        run.send_back("hs", "study", reason="返工", by=OFFICE)
        assert run.check("hs", "finish_study").passed

    def test_redo_takes_classes(self) -> None:
        """redo= with something that is not an evidence class is a DefinitionError."""
        c = cf.Campaign("bad")
        c.stages("a", "b")
        with pytest.raises(cf.DefinitionError, match="redo="):
            c.rework("a", redo=("Note",))  # type: ignore[arg-type]


# ---------------------------------------------------------------- property

STEPS = st.lists(
    st.sampled_from(["note", "plan", "finish_study", "finish_examine", "send_back", "send_back", "retract"]),
    max_size=25,
)


def _drive(store: object, plan: list[str]) -> None:
    """Play ``plan``; after each fire, check no passing gate relied on pre-send-back Notes."""
    run = campaign().start(org(), store=store, clock=cf.FixedClock(), ids=cf.CountingIds())
    cut = 0  # seq of the latest send-back to study
    for op in plan:
        stage = run.stage_of("hs")
        if op in ("note", "plan"):
            run.record("hs", Note() if op == "note" else Plan(), by=OFFICE)
        elif op == "retract":
            notes = run.evidence("hs", Note)
            if notes:
                run.retract("hs", notes[-1].id, reason="错录", by=OFFICE)
        elif op == "send_back":
            if stage != "study":
                cut = run.send_back("hs", "study", reason="返工", by=OFFICE).seq
        elif (op == "finish_study") == (stage == "study") and stage != "rectify":
            fresh = [r for r in run.evidence("hs", Note) if r.seq > cut]
            verdict = run.check("hs", op)
            expected = len(fresh) >= NEED if op == "finish_study" else bool(fresh)
            if op == "finish_study":
                expected = expected and bool(run.evidence("hs", Plan))
            assert verdict.passed == expected, (op, len(fresh), verdict.explain())
            if verdict.passed:
                step = run.fire("hs", op, by=OFFICE)
                assert step.verdict is not None
                used = {e for f in step.verdict.findings for e in f.evidence}
                old = {r.id for r in run.evidence("hs", Note) if r.seq <= cut}
                assert not used & old, "a gate passed on evidence a send-back voided"
    assert campaign().verify(org(), run.store).ok  # replay equals live


class TestNoGatePassesOnVoidedEvidence:
    @given(STEPS)
    def test_memory(self, plan: list[str]) -> None:
        """Memory store: over any send-back sequence, a gate passes exactly on post-send-back Notes."""
        _drive(cf.MemoryStore(), plan)

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(STEPS)
    def test_sqlite(self, plan: list[str]) -> None:
        """SQLite: the same, on a durable store."""
        with tempfile.TemporaryDirectory() as tmp:
            _drive(f"sqlite:///{Path(tmp) / 'p.db'}", plan)

    @settings(
        max_examples=8,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(STEPS)
    def test_postgresql(self, pg_url: str, plan: list[str]) -> None:
        """PostgreSQL: the same, on the server the suite starts (scripts/pg.sh)."""
        reset_pg(pg_url)
        _drive(pg_url, plan)
