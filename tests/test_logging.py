"""Decision events reach any host: structlog, the standard library's logging, or nobody (silence)."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import Iterator

import orjson
import pytest
import structlog
from structlog.testing import capture_logs

import campaignflow as cf
from campaignflow.presets import safety
from campaignflow.run import audit as _audit

CLERK = cf.Actor(id="li", roles={"secretary", "inspector"})


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def host() -> Iterator[_Records]:
    """A host that configured only the standard library: a root handler, root at INFO."""
    root = logging.getLogger()
    handler = _Records()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def _refuse_then_fire() -> cf.Run:
    run = safety.campaign().start(["s1"])
    with pytest.raises(cf.GateClosed):
        run.fire("s1", "start", by=CLERK)
    run.record("s1", safety.Briefing(attendees=3), by=CLERK)
    run.fire("s1", "start", by=CLERK)
    return run


class TestStdlibHost:
    def test_one_record_per_decision_and_no_transitions_lines(self, host: _Records) -> None:
        """A stdlib host at INFO gets one campaignflow record per decision, none from transitions."""
        _refuse_then_fire()
        assert [r.name for r in host.records] == ["campaignflow"] * 3
        assert [r.campaignflow["event"] for r in host.records] == [  # type: ignore[attr-defined]
            "unit_denied",
            "evidence_recorded",
            "unit_fired",
        ]
        assert all(r.levelno == logging.INFO for r in host.records)

    def test_a_passing_fire_is_compact(self, host: _Records) -> None:
        """unit_fired names unit, event, stages, seq and the gate's id; no verdict tree."""
        _refuse_then_fire()
        fired = host.records[-1]
        fields = fired.campaignflow  # type: ignore[attr-defined]
        assert fields == {
            "event": "unit_fired",
            "campaign": "safety-2026",
            "unit": "s1",
            "trigger": "start",
            "actor": "li",
            "source": "mobilise",
            "dest": "inspect",
            "seq": 3,
            "verdict": {"passed": True, "gate": "exists:Briefing"},
        }
        assert fired.getMessage() == (
            "unit_fired campaign=safety-2026 unit=s1 trigger=start actor=li source=mobilise "
            "dest=inspect seq=3 passed=true gate=exists:Briefing"
        )

    def test_a_refusal_carries_its_failed_findings(self, host: _Records) -> None:
        """unit_denied carries the failed rules with label, reason and what is missing, not the tree."""
        _refuse_then_fire()
        verdict = host.records[0].campaignflow["verdict"]  # type: ignore[attr-defined]
        assert verdict == {
            "passed": False,
            "gate": "exists:Briefing",
            "failed": [
                {
                    "rule": "exists:Briefing",
                    "label": "召开动员会",
                    "reason": "0 of 1 Briefing recorded (1 missing)",
                    "missing": ["1 × Briefing"],
                }
            ],
        }
        assert 'failed="召开动员会: 0 of 1 Briefing recorded (1 missing)"' in host.records[0].getMessage()

    def test_the_hosts_choice_for_transitions_wins(self, host: _Records) -> None:
        """transitions' logger is at WARNING unless the host sets it; a host at INFO there sees its lines."""
        engine = logging.getLogger("transitions")
        assert engine.level == logging.WARNING
        engine.setLevel(logging.INFO)
        try:
            _refuse_then_fire()
        finally:
            engine.setLevel(logging.WARNING)
        assert any(r.name.startswith("transitions") for r in host.records)


class TestStructlogHost:
    def test_structlog_hosts_get_the_same_compact_events(self) -> None:
        """With structlog configured, events go through it, compact as for a stdlib host."""
        with capture_logs() as logs:
            _refuse_then_fire()
        denied = logs[0]
        assert denied["event"] == "unit_denied"
        assert denied["verdict"]["failed"][0]["label"] == "召开动员会"
        assert "root" not in denied["verdict"]
        assert logs[-1]["verdict"] == {"passed": True, "gate": "exists:Briefing"}


class TestReconfiguredHost:
    """The library keeps the logger structlog assembled; a host that reconfigures is still heard."""

    @staticmethod
    def _lines(sink: io.BytesIO) -> list[str]:
        return [orjson.loads(line)["event"] for line in sink.getvalue().splitlines()]

    @staticmethod
    def _lean(sink: io.BytesIO, *, cache: bool) -> None:
        structlog.configure(
            processors=[structlog.processors.JSONRenderer(serializer=orjson.dumps)],
            logger_factory=structlog.BytesLoggerFactory(file=sink),
            wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
            cache_logger_on_first_use=cache,
        )

    @pytest.mark.parametrize("cache", [True, False])
    def test_configure_and_reset_take_effect(self, cache: bool, capsys: pytest.CaptureFixture[str]) -> None:
        """A second configure() redirects the next events; reset_defaults() silences the library."""
        first, second = io.BytesIO(), io.BytesIO()
        try:
            self._lean(first, cache=cache)
            run = _refuse_then_fire()
            self._lean(second, cache=cache)
            run.record("s1", safety.Briefing(attendees=1), by=CLERK)
            with capture_logs() as logs:  # edits the processor list in place
                run.record("s1", safety.Briefing(attendees=2), by=CLERK)
        finally:
            structlog.reset_defaults()
        assert self._lines(first) == ["unit_denied", "evidence_recorded", "unit_fired"]
        assert self._lines(second) == ["evidence_recorded"]
        assert [e["event"] for e in logs] == ["evidence_recorded"]
        assert not _audit.listening()
        run.record("s1", safety.Briefing(attendees=4), by=CLERK)  # unconfigured again: silent
        assert capsys.readouterr().out == ""
        assert len(first.getvalue().splitlines()) == 3
        assert len(second.getvalue().splitlines()) == 1


class TestBatchEvents:
    def test_a_batch_is_one_event_and_each_refusal_its_own(self) -> None:
        """fire_many logs one units_fired naming each group's units and seqs, then nothing per pass;
        each refusal still logs its failed findings."""
        run = safety.campaign().start(["s1", "s2", "s3"])
        run.record("s1", safety.Briefing(attendees=3), by=CLERK)
        run.record("s3", safety.Briefing(attendees=2), by=CLERK)
        with capture_logs() as logs:
            result = run.fire_many(["s1", "s2", "s3"], "start", by=CLERK)
        assert [e["event"] for e in logs] == ["unit_denied", "units_fired"]
        denied, fired = logs
        assert denied["unit"] == "s2"
        assert denied["verdict"]["failed"][0]["reason"] == "0 of 1 Briefing recorded (1 missing)"
        assert fired["count"] == 2
        assert fired["moves"] == [
            {
                "source": "mobilise",
                "dest": "inspect",
                "gate": "exists:Briefing",
                "units": ["s1", "s3"],
                "seqs": [s.seq for s in result.fired],
            }
        ]
        assert "unit" not in fired


class TestQuietByDefault:
    def test_a_host_that_configures_nothing_sees_nothing(self) -> None:
        """In a fresh interpreter that configures no logging, a run prints nothing at all."""
        script = (
            "import campaignflow as cf\n"
            "from campaignflow.run import audit as _audit\n"
            "from campaignflow.presets import safety\n"
            "clerk = cf.Actor(id='li', roles={'secretary', 'inspector'})\n"
            "run = safety.campaign().start(['s1'])\n"
            "try:\n"
            "    run.fire('s1', 'start', by=clerk)\n"
            "except cf.GateClosed:\n"
            "    pass\n"
            "run.record('s1', safety.Briefing(attendees=3), by=clerk)\n"
            "run.fire('s1', 'start', by=clerk)\n"
            "assert not _audit.listening()\n"
        )
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")

    def test_nobody_listening_below_info(self, host: _Records) -> None:
        """A stdlib host at WARNING for campaignflow: not listening, no record."""
        logging.getLogger("campaignflow").setLevel(logging.WARNING)
        try:
            assert not _audit.listening()
            _refuse_then_fire()
        finally:
            logging.getLogger("campaignflow").setLevel(logging.NOTSET)
        assert host.records == []
