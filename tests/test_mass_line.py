"""The mass-line preset, tested against the seeds (002: Zhongmou's 五个不开会)."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import combinations, permutations

import pytest

import campaignflow as cf
from campaignflow.definition.context import Context
from campaignflow.definition.rules import evaluate
from campaignflow.presets import mass_line as ml
from campaignflow.presets.mass_line import members as mb
from campaignflow.testing import Scenario

OFFICE = cf.Actor(id="office", roles={"office"})
SUP = cf.Actor(id="sup", roles={"supervisor"})
LEADERS = {"county": ("c1", "c2", "c3"), "town": ("t1", "t2", "t3"), "town2": ("u1", "u2", "u3")}


def _org() -> cf.Org:
    units = [
        {"id": "county", "parent": None, "level": "county", "name": "中牟县"},
        {"id": "town", "parent": "county", "level": "township", "name": "韩寺镇"},
        {"id": "town2", "parent": "county", "level": "township", "name": "官渡镇"},
    ]
    people = [{"id": "sup", "name": "督导员", "unit": "sg", "roles": ["supervisor"]}]
    for unit, ids in LEADERS.items():
        for i, pid in enumerate(ids):
            roles = ["leadership", "members"] + (["principal"] if i == 0 else [])
            people.append({"id": pid, "name": f"{unit}-{pid}", "unit": unit, "roles": roles})
    groups = [{"id": "sg", "name": "市委第六督导组", "supervises": ["county", "town", "town2"]}]
    contacts = [{"person": "c1", "unit": "town"}]  # 县领导联系点
    return cf.Org.from_dicts(
        units, people=people, groups=groups, contacts=contacts, levels=("county", "township")
    )


def _start() -> cf.Run:
    return ml.campaign().start(_org(), clock=cf.FixedClock(), ids=cf.CountingIds())


def _to_study(run: cf.Run, unit: str) -> None:
    run.record(unit, ml.MobilisationMeeting(chaired_by=LEADERS[unit][0], attendees=100), by=OFFICE)
    run.fire(unit, "mobilise", by=OFFICE)


def _stage1(unit: str) -> list[tuple[str, object]]:
    """学习教育、听取意见 up to standard: four sessions, notes, handbooks, ten opinions."""
    leaders = LEADERS[unit]
    items: list[tuple[str, object]] = [
        (unit, ml.StudySession(hours=2, chaired_by=leaders[1], attendees=leaders)) for _ in range(4)
    ]
    items += [(unit, ml.MemberNotes(member=m)) for m in leaders]
    items.append((unit, ml.MaterialsIssued(members=leaders)))  # 人手一册
    items += [(unit, ml.Opinion(source="form", category="formalism")) for _ in range(10)]
    return items


def _to_prepare(run: cf.Run, unit: str) -> None:
    """Mobilise, do stage 1 up to standard (the gate of finish_study) and move on to 会前准备."""
    _to_study(run, unit)
    run.record_many(_stage1(unit), by=OFFICE)
    run.fire(unit, "finish_study", by=OFFICE)


def _satisfy(run: cf.Run, unit: str, *, skip: str = "") -> None:
    """Record what the five clauses need, leaving out the clause named by ``skip``."""
    leaders = LEADERS[unit]
    items: list[tuple[str, object]] = []
    if skip == "stage1":  # stage 1 was up to standard when left; its sessions are then retracted
        for r in run.evidence(unit, ml.StudySession):
            run.retract(unit, r.id, reason="重复登记", by=OFFICE)
    if skip != "principal":
        items.append((unit, ml.StudySession(hours=1, chaired_by=leaders[0])))
    if skip != "problems":
        items += [(unit, ml.Problem(category=w, description="问题", confirmed=True)) for w in ml.FourWinds]
    pairs = list(combinations(leaders, 2))
    if skip == "talks":
        pairs = [p for p in pairs if leaders[0] in p]  # the principal's talks only
    items += [(unit, ml.Talk(a=a, b=b)) for a, b in pairs]
    items.append((unit, ml.SelfInspection(author=leaders[0], revision=1)))
    run.record_many(items, by=OFFICE)
    if skip != "materials":
        run.record(unit, ml.SupervisionApproval(revision=1), by=SUP)


def _finding(root: cf.Finding, rule: str) -> cf.Finding:
    """The finding of ``rule`` anywhere in a verdict's tree."""
    stack = [root]
    while stack:
        f = stack.pop()
        if f.rule == rule:
            return f
        stack.extend(f.children)
    raise LookupError(rule)


def _households(unit: str) -> list[tuple[str, object]]:
    """住村联户 一联五: each leader linked to five households."""
    return [
        (unit, ml.HouseholdLink(cadre=p, households=[f"{unit}/{p}/{i}" for i in range(5)]))
        for p in LEADERS[unit]
    ]


class TestFiveNoMeetings:
    def test_all_five_pass_then_the_meeting_may_be_held(self) -> None:
        """With every clause satisfied the county holds its democratic-life meeting."""
        run = _start()
        _to_prepare(run, "county")
        _satisfy(run, "county")
        step = run.fire("county", "hold_meeting", by=OFFICE)
        assert step.dest == "examine.meeting"

    @pytest.mark.parametrize(
        ("skip", "clause", "reason"),
        [
            ("stage1", "学习教育和听取意见环节各项工作达标", "1 of 4 StudySession recorded"),
            ("principal", "主要负责同志重视", "county-c1 has chaired no study session"),
            (
                "problems",
                "突出问题找准",
                "✗ 找准奢靡之风问题: 0 of 1 Problem where match(category=extravagance) recorded (1 missing)",
            ),
            ("talks", "谈心交心深入", "Talk missing between county-c2–county-c3"),
            (
                "materials",
                "对照检查材料经督导组审查同意",
                "revision 1 not approved by its supervision group",
            ),
        ],
    )
    def test_each_clause_alone_closes_the_gate(self, skip: str, clause: str, reason: str) -> None:
        """Each of the five clauses, failing alone, closes the gate with its own reason."""
        run = _start()
        _to_prepare(run, "county")
        _satisfy(run, "county", skip=skip)
        with pytest.raises(cf.GateClosed) as info:
            run.fire("county", "hold_meeting", by=OFFICE)
        gate = _finding(info.value.verdict.root, "five_no_meetings")
        failing = [f for f in gate.children if not f.passed]
        assert [f.label for f in failing] == [clause]
        assert reason in info.value.verdict.explain()

    def test_new_draft_voids_the_approval(self) -> None:
        """A revision after the approval needs a new approval (latest revision only)."""
        run = _start()
        _to_prepare(run, "county")
        _satisfy(run, "county")
        run.record("county", ml.SelfInspection(author="c1", revision=2), by=OFFICE)
        verdict = run.check("county", "hold_meeting")
        assert [f.rule for f in verdict.failures] == ["materials_approved"]
        assert "approvals of revision 1 not counted: superseded by revision 2" in verdict.explain()


class TestHierarchy:
    def test_township_cannot_meet_before_the_county(self) -> None:
        """一级做给一级看: the township's meeting waits for the county's."""
        run = _start()
        for unit in ("county", "town"):
            _to_prepare(run, unit)
            _satisfy(run, unit)
        waits = "中牟县 \\(county\\) has not fired 召开专题民主生活会 \\(hold_meeting\\)"
        with pytest.raises(cf.GateClosed, match=waits):
            run.fire("town", "hold_meeting", by=OFFICE)
        run.fire("county", "hold_meeting", by=OFFICE)
        run.fire("town", "hold_meeting", by=OFFICE)

    def test_township_cannot_mobilise_before_the_county(self) -> None:
        """Mobilisation goes top down as well."""
        run = _start()
        run.record("town", ml.MobilisationMeeting(chaired_by="t1", attendees=30), by=OFFICE)
        assert not run.check("town", "mobilise").passed

    def test_county_cannot_close_before_its_townships(self) -> None:
        """No level left behind: the county concludes only after every township has."""
        run = _start()
        for unit in ("county", "town", "town2"):
            _to_prepare(run, unit)
            _satisfy(run, unit)
        for unit in ("county", "town", "town2"):
            run.fire(unit, "hold_meeting", by=OFFICE)
            leaders = LEADERS[unit]
            run.record_many(
                [
                    (unit, ml.Criticism(source=a, target=b))
                    for a, b in permutations(leaders, 2)
                    for _ in range(2)
                ],
                by=OFFICE,
            )
            run.fire(unit, "evaluate", by=OFFICE)
            run.record(unit, ml.PublicEvaluation(score=90, respondents=100), by=OFFICE)
            run.fire(unit, "start_rectify", by=OFFICE)
            run.record_many(
                [
                    (
                        unit,
                        ml.LedgerItem(
                            item=f"{unit}-1",
                            matter="道路",
                            department="交通局",
                            person=leaders[0],
                            deadline=date(2014, 9, 1),
                        ),
                    ),
                    (unit, ml.LedgerClosure(item=f"{unit}-1", accepted=True)),
                    *_households(unit),
                    (unit, ml.AdoptedRule(title="党员领导干部行为规范")),
                    (unit, ml.Satisfaction(score=92, respondents=300)),
                ],
                by=OFFICE,
            )
        verdict = run.check("county", "conclude")
        assert not verdict.passed
        assert "0 of 2 children reached 总结 (close)" in verdict.explain()
        run.fire("town", "conclude", by=OFFICE)
        assert "1 of 2 children" in run.check("county", "conclude").explain()
        run.fire("town2", "conclude", by=OFFICE)
        run.fire("county", "conclude", by=OFFICE)
        assert run.progress().by_stage["close"] == 3


class TestCriticismAndLedger:
    def test_two_criticisms_to_every_other_member(self) -> None:
        """Each member must raise at least 2 criticisms to every other member."""
        run = _start()
        _to_prepare(run, "county")
        _satisfy(run, "county")
        run.fire("county", "hold_meeting", by=OFFICE)
        run.record_many(
            [("county", ml.Criticism(source=a, target=b)) for a, b in permutations(LEADERS["county"], 2)],
            by=OFFICE,
        )
        verdict = run.check("county", "evaluate")
        assert not verdict.passed
        assert len(verdict.failures[0].missing) == 6
        assert "county-c1→county-c2 (1 of 2)" in verdict.explain()

    def test_a_meeting_sent_back_is_held_again_with_new_talks_material_and_criticisms(self) -> None:
        """返工: after a send-back to 查摆问题 the old talks, material and approval do not count."""
        run = _start()
        _to_prepare(run, "county")
        _satisfy(run, "county")
        run.fire("county", "hold_meeting", by=OFFICE)
        run.send_back(
            "county", "examine", reason="批评不深入, 返工重开", by=cf.Actor(id="sup", roles={"supervisor"})
        )
        verdict = run.check("county", "hold_meeting")
        assert {f.rule for f in verdict.failures} >= {"talks_in_depth", "materials_approved"}
        assert "recorded before the send-back to 查摆问题、开展批评 (examine)" in verdict.explain()
        leaders = LEADERS["county"]
        run.record_many(
            [
                *(("county", ml.Talk(a=a, b=b)) for a, b in combinations(leaders, 2)),
                ("county", ml.SelfInspection(author=leaders[0], revision=2)),
            ],
            by=OFFICE,
        )
        run.record("county", ml.SupervisionApproval(revision=2), by=SUP)
        assert run.check("county", "hold_meeting").passed
        assert len(run.evidence("county", ml.Talk)) == 2 * len(list(combinations(leaders, 2)))

    def test_ledger_items_open_at_any_stage_and_block_the_close(self) -> None:
        """边学边改: an item opened during study must be closed, with acceptance, before the close."""
        run = _start()
        run.record(
            "county",
            ml.LedgerItem(
                item="L1",
                matter="上学难",
                department="教体局",
                person="c2",
                deadline=date(2014, 8, 1),
            ),
            by=OFFICE,
        )
        rule = ml.campaign().build().transitions[-1].gate
        assert rule is not None
        run.record("county", ml.LedgerClosure(item="L1", accepted=False), by=OFFICE)
        ctx = Context(unit="county", stage="rectify", event="conclude", actor=None, now=run.clock(), run=run)
        found = evaluate(ml.rules.ledger_closed, ctx)
        assert not found.passed
        assert "上学难 (教体局, county-c2, by 2014-08-01)" in found.reason
        run.record("county", ml.LedgerClosure(item="L1", accepted=True), by=OFFICE)
        assert evaluate(ml.rules.ledger_closed, ctx).passed


class TestEvidenceValidation:
    def test_bad_values_are_evidence_errors(self) -> None:
        """NaN hours, empty names, control characters and self-talks are refused."""
        with pytest.raises(cf.EvidenceError, match="hours"):
            ml.StudySession(hours=float("nan"))
        with pytest.raises(cf.EvidenceError, match="member"):
            ml.MemberNotes(member="")
        with pytest.raises(cf.EvidenceError, match="control characters"):
            ml.Opinion(source="form", category="a\x00b")
        with pytest.raises(cf.EvidenceError, match="two different people"):
            ml.Talk(a="x", b="x")
        with pytest.raises(ValueError, match="is not a valid Source"):
            ml.Opinion(source="telepathy", category="x")


class TestThreeEvaluations:
    def test_pilot_members_go_first(self) -> None:
        """试点 then 铺开: members outside pilot villages wait for every pilot member."""
        org = cf.Org.from_dicts(
            [
                {"id": "county", "parent": None, "level": "county"},
                {"id": "pilot-v", "parent": "county", "level": "village", "pilot": True},
                {"id": "other-v", "parent": "county", "level": "village"},
            ],
            people=[
                {"id": "m1", "name": "党员甲", "unit": "pilot-v", "roles": ["members"]},
                {"id": "m2", "name": "党员乙", "unit": "other-v", "roles": ["members"]},
            ],
            levels=("county", "village"),
        )
        sub = mb.member_org(org, {"pilot-v": ["m1"], "other-v": ["m2"]})
        assert sub.pilots() == frozenset({"m1"})
        run = mb.campaign().start(sub)
        for member in ("m1", "m2"):
            run.record_many([(member, mb.MemberEvaluation(kind=k)) for k in mb.EvaluationKind], by=OFFICE)
        verdict = run.check("m2", "evaluate")
        assert "pilots have not fired 三评 (evaluate) yet: 党员甲 (m1)" in verdict.explain()
        run.fire("m1", "evaluate", by=OFFICE)
        run.fire("m2", "evaluate", by=OFFICE)
        run.record_many([("m2", mb.MemberReview(level=lv)) for lv in mb.ReviewLevel], by=OFFICE)
        run.fire("m2", "review", by=OFFICE)
        run.record("m2", mb.Conversion(outcome="qualified"), by=OFFICE)
        assert run.fire("m2", "qualify", by=OFFICE).dest == "qualified"


class TestLookBack:
    def test_a_failed_check_reopens_stage_one_and_counts(self) -> None:
        """回头看: a failed check sends the unit back to study; a passed one only records."""
        run = _start()
        _to_prepare(run, "county")
        boss = cf.Actor(id="sup", roles={"supervisor"})
        kept = ml.look_back(run, "county", by=boss)
        assert (kept.kind, run.stage_of("county")) == (cf.Kind.RECORD, "examine.prepare")
        step = ml.look_back(run, "county", failed=[ml.LookBackCheck.STUDY], by=boss)
        assert (step.kind, step.dest) == (cf.Kind.SEND_BACK, "study")
        assert "回头看: 学习教育是否扎实 未达标" in step.reason
        assert run.state("county").reworks == {"study": 1}

    def test_gongcun_look_back_judges_four_checks_and_holds_study_until_they_pass(self) -> None:
        """宫村镇's 回头看 on run.review: failing checks reopen study and hold it until they pass again."""
        run = _start()
        _to_prepare(run, "county")
        boss = cf.Actor(id="sup", roles={"supervisor"})
        result = run.review("county", ml.REVIEW, by=boss)
        assert [label for label, _ in result.checks] == list(ml.LOOK_BACK_CHECKS)
        assert result.failed == ("专项行动是否收到成效", "惠民实事是否开展落实")
        assert (run.stage_of("county"), run.state("county").reworks) == ("study", {"study": 1})
        refused = {f.label for f in run.check("county", "finish_study").failures}
        assert {"回头看: 专项行动是否收到成效", "回头看: 惠民实事是否开展落实"} <= refused
        assert "集中学习不少于4次" in refused  # 补课 voided the study sessions: made up again
        run.record_many(_stage1("county"), by=OFFICE)
        assert {f.label for f in run.check("county", "finish_study").failures} == {
            "回头看: 专项行动是否收到成效",
            "回头看: 惠民实事是否开展落实",
        }
        item = ml.LedgerItem(
            item="修路", matter="村道", department="交通局", person="c1", deadline=date(2014, 9, 30),
            ledger="民生",
        )  # fmt: skip
        closed = ml.LedgerClosure(item="修路", accepted=True)
        run.record_many([("county", item), ("county", closed)], by=OFFICE)
        run.fire("county", "finish_study", by=OFFICE)
        assert run.stage_of("county") == "examine.prepare"


class TestStageStandards:
    def test_study_cannot_be_left_empty_handed(self) -> None:
        """学习教育、听取意见 is left only up to standard: the same requirements as clause 1."""
        run = _start()
        _to_study(run, "county")
        verdict = run.check("county", "finish_study")
        assert [f.rule for f in verdict.failures] == [
            f.rule for f in _finding(verdict.root, "stage1_up_to_standard").children
        ]
        run.record_many(_stage1("county"), by=OFFICE)
        assert run.check("county", "finish_study").passed


class TestDutiesAcrossTimeAndLevels:
    """Seed 002's 一上一下 and 双联系点, seed 004's 人手一册 and 一联五."""

    def test_meeting_waits_for_overdue_contact_visits(self) -> None:
        """县领导每周深入乡村: two weeks without visiting the contact point close the meeting."""
        clock = cf.FixedClock()
        run = ml.campaign().start(_org(), clock=clock, ids=cf.CountingIds())
        _to_prepare(run, "county")
        _satisfy(run, "county")
        clock.advance(timedelta(days=10))
        verdict = run.check("county", "hold_meeting")
        assert [f.rule for f in verdict.failures] == ["contact_visits_kept"]
        assert "county-c1 → 韩寺镇: 县领导每周深入联系点 overdue since 2014-03-05" in verdict.explain()
        run.record("town", ml.Visit(leader="c1"), by=OFFICE)  # recorded at the township: 互动下延一级
        assert run.check("county", "hold_meeting").passed
        assert run.obligations("town", only=["contact_visits"]).counts()["done"] == 1

    def test_township_principal_credited_for_the_county_session(self) -> None:
        """学习上延一级: a county session listing the township principal counts at the township."""
        fresh = _start()
        _to_prepare(fresh, "county")
        _to_study(fresh, "town")
        others = LEADERS["town"][1:]
        # The township's own sessions without its principal t1: attendance fails ...
        items: list[tuple[str, object]] = [
            ("town", ml.StudySession(hours=2, chaired_by="t2", attendees=others)) for _ in range(4)
        ]
        items += [("town", ml.MemberNotes(member=m)) for m in LEADERS["town"]]
        items.append(("town", ml.MaterialsIssued(members=LEADERS["town"])))
        items += [("town", ml.Opinion(source="form", category="formalism")) for _ in range(10)]
        fresh.record_many(items, by=OFFICE)
        attendance = _finding(fresh.check("town", "finish_study").root, "study_attendance")
        assert not attendance.passed
        assert (attendance.missing, attendance.missing_labels) == (("t1",), ("town-t1",))
        # ... until the county's session invites him (and a village secretary who is no one here).
        fresh.record("county", ml.StudySession(hours=2, attendees=("c1", "c2", "c3", "t1", "u1")), by=OFFICE)
        assert _finding(fresh.check("town", "finish_study").root, "study_attendance").passed

    def test_every_member_has_every_handbook(self) -> None:
        """人手一册: a member missing one of the three materials is named."""
        run = _start()
        _to_prepare(run, "county")
        _satisfy(run, "county")
        run.record("county", ml.MaterialsIssued(members=["c1"], items=["明白纸"]), by=OFFICE)
        assert run.check("county", "hold_meeting").passed  # _satisfy handed out all three already
        fresh = _start()
        _to_prepare(fresh, "county")
        _satisfy(fresh, "county")
        handbooks = _finding(fresh.check("county", "hold_meeting").root, "handbooks")
        assert handbooks.passed
        bare = ml.campaign().start(_org(), clock=cf.FixedClock())
        _to_study(bare, "county")
        bare.record(
            "county", ml.MaterialsIssued(members=["c1", "c2"], items=["明白纸", "简明读本"]), by=OFFICE
        )
        found = _finding(bare.check("county", "finish_study").root, "handbooks")
        assert found.missing == ("c1", "c2", "c3")
        assert found.missing_labels == ("county-c1", "county-c2", "county-c3")
        assert "county-c1 lacks 学习笔记" in found.reason

    def test_households_linked_one_to_five(self) -> None:
        """住村联户 一联五: each leader linked to five households; Zengkou's total as a threshold."""
        rule = ml.campaign(ml.Thresholds(households_total=16)).build()
        conclude = next(t.gate for t in rule.transitions if t.event == "conclude")
        assert conclude is not None
        linked = next(r for r in conclude.children if r.id == "households_linked")
        assert linked.label == "住村联户(一联5)、联系群众16户以上"
        scenario = Scenario(
            people={"leadership": ("a", "b", "c")},
            evidence=tuple(
                (ml.HouseholdLink(cadre=p, households=[f"{p}{i}" for i in range(5 if p != "c" else 4)]), "x")
                for p in ("a", "b", "c")
            ),
        )
        finding = scenario.finding(linked)
        assert not finding.passed
        assert finding.missing == ("c", "2 × households")
        assert "c 4 of 5" in finding.reason
