"""The examples in examples/ run."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _load(name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
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
