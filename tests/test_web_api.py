"""What a web app needs from the API: JSON out (to_dict), evidence in from JSON."""

from __future__ import annotations

import json

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
