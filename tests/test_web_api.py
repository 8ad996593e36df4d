"""What a web app needs from the API: JSON out (to_dict), evidence in from JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.presets import safety
from campaignflow.store.codec import encode_value

SEC = cf.Actor(id="sec", roles={"secretary", "inspector"})


@pytest.fixture
def run() -> cf.Run:
    r = safety.campaign().start(["s1", "s2"], clock=cf.FixedClock())
    with pytest.raises(cf.GateClosed):
        r.fire("s1", "start", by=SEC)
    return r


class TestToDict:
    def test_unit_state(self, run: cf.Run) -> None:
        """UnitState.to_dict is JSON holding every field, the refusal included."""
        state = run.state("s1")
        data = json.loads(json.dumps(state.to_dict()))
        assert data["unit"] == "s1"
        assert (data["stage"], data["version"], data["fired"]) == (state.stage, state.version, [])
        assert state.blocked is not None
        assert data["blocked"] == state.blocked.to_dict()
        assert data["blocked"]["event"] == "start"

    def test_progress(self, run: cf.Run) -> None:
        """Progress.to_dict is JSON with the counts a recount gives."""
        data = json.loads(json.dumps(run.progress().to_dict()))
        counted = run.recount()
        assert (data["total"], data["by_stage"], data["blocked"]) == (
            counted.total,
            dict(counted.by_stage),
            counted.blocked,
        )
        assert [b["unit"] for b in data["blocked_units"]] == ["s1"]

    def test_verdict(self, run: cf.Run) -> None:
        """Verdict.to_dict is JSON."""
        verdict = run.check("s1", "start")
        assert json.loads(json.dumps(verdict.to_dict()))["unit"] == "s1"


class TestEvidenceFromJson:
    @given(
        hours=st.floats(min_value=0.5, max_value=100), who=st.text(min_size=1, max_size=5).filter(str.isalpha)
    )
    def test_what_is_posted_is_what_is_stored(self, hours: float, who: str) -> None:
        """The JSON form of a value builds that value back."""
        value = safety.Inspection(hours=hours, inspector=who)
        run = safety.campaign().start(["s1"])
        assert run.evidence_from("Inspection", json.loads(json.dumps(encode_value(value)))) == value

    @pytest.mark.parametrize(
        ("kind", "data", "match"),
        [
            ("Nope", {}, "not declared"),
            ("Briefing", [3], "JSON object"),
            ("Briefing", {"attendees": 3, "extra": 1}, "no field"),
            ("Briefing", {}, "needs field"),
            ("Briefing", {"attendees": "many"}, "Briefing"),
        ],
    )
    def test_bad_json_is_an_evidence_error(self, run: cf.Run, kind: str, data: object, match: str) -> None:
        """Undeclared types, non-objects, unknown or missing fields and bad values are EvidenceError."""
        with pytest.raises(cf.EvidenceError, match=match):
            run.evidence_from(kind, data, unit="s1")

    def test_it_records(self, run: cf.Run) -> None:
        """Evidence built from JSON records as any other."""
        step = run.record("s2", run.evidence_from("Briefing", {"attendees": 4}), by=SEC)
        assert step.evidence is not None
        assert step.evidence.value == safety.Briefing(attendees=4)


class CountingStore:
    """A store that counts per-unit history reads."""

    def __init__(self, inner: cf.MemoryStore) -> None:
        self.inner = inner
        self.histories = 0

    def history(self, unit: str) -> tuple[cf.Step, ...]:
        self.histories += 1
        return self.inner.history(unit)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


class TestCheapOpens:
    def test_opening_reads_no_history_and_escalations_come_on_first_use(self) -> None:
        """A unit sent back past its limit costs nothing at open; its escalation reads back equal."""
        c = cf.Campaign("rw")
        c.stages("a", "b")
        c.transition("go", "a", "b")
        c.rework("a", limit=1)
        store = cf.MemoryStore()
        live = c.start(["u", "v"], store=store)
        for _ in range(3):
            live.fire("u", "go", by=SEC)
            live.send_back("u", "a", reason="返工", by=SEC)
        counting = CountingStore(store)
        opened = c.open(["u", "v"], counting)
        assert counting.histories == 0
        assert [e.count for e in live.escalations] == [2]
        assert opened.escalations == live.escalations
        assert counting.histories == 1
        opened.fire("u", "go", by=SEC)
        opened.send_back("u", "a", reason="again", by=SEC)
        assert opened.escalations == live.escalations  # no second escalation past the limit

    @pytest.mark.parametrize("kind", ["memory", "sqlite"])
    def test_catch_up_reads_what_others_wrote_since(self, kind: str, tmp_path: Path) -> None:
        """A long-lived run catches up with another writer's units from the seq it last saw."""
        target: object = cf.MemoryStore() if kind == "memory" else f"sqlite:///{tmp_path / 'c.db'}"
        c = safety.campaign()
        mine = c.start(["s1", "s2", "s3"], store=target)
        seen = mine.catch_up()
        other = c.open(["s1", "s2", "s3"], target)
        other.record("s2", safety.Briefing(attendees=3), by=SEC)
        step = other.fire("s2", "start", by=SEC)
        assert mine.stage_of("s2") == "mobilise"
        assert mine.catch_up(seen) == step.seq
        assert mine.state("s2") == other.state("s2")
        assert mine.progress().counts() == other.progress().counts() == mine.recount().counts()
        assert mine.catch_up(step.seq) == step.seq
