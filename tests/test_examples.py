"""The examples in examples/ run."""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path

import pytest

import campaignflow as cf
from campaignflow.testing import NotEquivalent, assert_equivalent

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _load(name: str) -> object:
    return _load_path(EXAMPLES / f"{name}.py", name)


def _load_path(path: Path, name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestAuditSink:
    def test_every_decision_is_a_json_line(self, tmp_path: Path) -> None:
        """The audit sink example writes one JSON object per decision, the refusal with its verdict."""
        sink = _load("audit_sink")
        path = tmp_path / "audit.jsonl"
        assert sink.main(path) == 3  # type: ignore[attr-defined]
        events = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert [e["event"] for e in events] == ["evidence_recorded", "unit_fired", "unit_denied"]
        denied = next(e for e in events if e["event"] == "unit_denied")
        assert denied["verdict"]["passed"] is False
        assert denied["unit"] == "plant-1"


class TestScripts:
    def test_safety_from_scratch(self) -> None:
        """The from-scratch campaign moves one plant and explains the other's refusal."""
        run = _load("safety_from_scratch").main()  # type: ignore[attr-defined]
        assert dict(run.progress().by_stage) == {"mobilise": 1, "inspect": 1, "rectify": 1, "closed": 0}

    def test_zhongmou_mass_line(self) -> None:
        """The preset over the shipped CSV: stage 1 done, the county may not meet yet for the other four."""
        verdict = _load("zhongmou_mass_line").main()  # type: ignore[attr-defined]
        (gate,) = [f for top in verdict.root.children for f in top.children if f.rule == "five_no_meetings"]
        assert [f.passed for f in gate.children] == [True, False, False, False, False]

    def test_property_test_gate(self) -> None:
        """The example's property tests pass."""
        module = _load("property_test_gate")
        module.test_agrees_with_the_spec()  # type: ignore[attr-defined]
        module.test_accepts_what_the_spec_accepts()  # type: ignore[attr-defined]
        module.test_refuses_what_the_spec_refuses()  # type: ignore[attr-defined]

    def test_property_test_gate_catches_the_old_bug(self) -> None:
        """The example's test refutes the old rule, which passed with fewer than two leaders."""
        module = _load("property_test_gate")

        @cf.rule("talks", reads=(module.Talk,), roles=("leadership",))  # type: ignore[attr-defined]
        def vacuous(ctx: cf.Context) -> cf.Finding:
            leaders = ctx.people("leadership")
            done = {frozenset((t.a, t.b)) for t in ctx.evidence(module.Talk)}  # type: ignore[attr-defined]
            missing = [
                (a, b)
                for i, a in enumerate(leaders)
                for b in leaders[i + 1 :]
                if frozenset((a, b)) not in done
            ]
            return cf.fail("missing") if missing else cf.ok()

        with pytest.raises(NotEquivalent) as raised:
            assert_equivalent(vacuous, module.SPEC)  # type: ignore[attr-defined]
        assert len(raised.value.scenario.people["leadership"]) < 2

    def test_pg_workers(self, pg_fresh: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """Four workers on overlapping units of one PostgreSQL database move every unit once."""
        monkeypatch.syspath_prepend(str(EXAMPLES))  # spawned workers import it by name
        run = importlib.import_module("pg_workers").main(pg_fresh, 4)
        assert run.progress().by_stage["inspect"] == 12


class TestWebApp:
    def test_step_and_app_row_commit_together(self, tmp_path: Path) -> None:
        """A recorded briefing and the clerk's note land together; a failure after both leaves neither."""
        import sqlalchemy as sa  # noqa: PLC0415

        module = _load_path(EXAMPLES / "webapp" / "app.py", "webapp_app")
        url = f"sqlite:///{tmp_path / 'app.db'}"
        client = module.create_app(url).test_client()  # type: ignore[attr-defined]
        ok = client.post("/units/plant-1/briefing", json={"clerk": "li", "attendees": 12, "note": "开了"})
        assert ok.status_code == 201
        failed = client.post(
            "/units/plant-2/briefing", json={"clerk": "li", "attendees": 3, "fail_after_write": True}
        )
        assert failed.status_code == 500
        bad = client.post("/units/plant-9/briefing", json={"clerk": "li", "attendees": 3})
        assert bad.status_code == 404
        assert "unknown unit 'plant-9'" in bad.get_json()["error"]
        closed = client.post("/units/plant-2/fire/start", json={"clerk": "li"})
        assert closed.status_code == 422
        assert closed.get_json()["kept"] is True
        assert closed.get_json()["verdict"]["passed"] is False
        posted = client.post(
            "/units/plant-1/evidence/Inspection", json={"clerk": "li", "value": {"hours": 2.5}}
        )
        assert (posted.status_code, posted.get_json()["kind"]) == (201, "record")
        wrong = client.post("/units/plant-1/evidence/Inspection", json={"clerk": "li", "value": {"hour": 2}})
        assert wrong.status_code == 400
        verdict = client.get("/units/plant-1/verdict/start").get_json()
        assert verdict["passed"] is True
        assert client.get("/units/plant-2/verdict/start").get_json()["passed"] is False
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT unit FROM clerk_notes").scalars().all() == [
                "plant-1",
                "plant-1",
            ]
            denied = conn.exec_driver_sql("SELECT seq FROM cf_steps WHERE kind = 'deny'").scalars().all()
            assert denied == [closed.get_json()["seq"]]
        engine.dispose()

    def test_a_repeated_idempotency_key_gets_the_first_response_and_writes_once(self, tmp_path: Path) -> None:
        """A client resending with its Idempotency-Key: one step, one note, the same seq; elsewhere 422."""
        import sqlalchemy as sa  # noqa: PLC0415

        module = _load_path(EXAMPLES / "webapp" / "app.py", "webapp_app")
        url = f"sqlite:///{tmp_path / 'app.db'}"
        client = module.create_app(url).test_client()  # type: ignore[attr-defined]
        headers = {"Idempotency-Key": "3f1c-briefing"}
        body = {"clerk": "li", "attendees": 12, "note": "开了"}
        first = client.post("/units/plant-1/briefing", json=body, headers=headers)
        again = client.post("/units/plant-1/briefing", json=body, headers=headers)
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.get_json() == first.get_json()
        assert "Idempotent-Replayed" not in first.headers
        assert again.headers["Idempotent-Replayed"] == "true"
        other = client.post("/units/plant-2/briefing", json=body, headers=headers)
        assert (other.status_code, other.get_json()["kind"]) == (422, "KeyReused")
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM cf_steps").scalar() == 1
            assert conn.exec_driver_sql("SELECT unit FROM clerk_notes").scalars().all() == ["plant-1"]
        engine.dispose()
