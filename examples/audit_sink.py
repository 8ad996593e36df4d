"""Write every campaignflow decision to a JSON-lines audit file.

campaignflow never configures structlog; the host application does. This script
is such a host: it sends the library's decision events (unit_fired,
unit_denied, unit_sent_back, evidence_recorded, ...) to ``audit.jsonl``, one
JSON object per line, with a timestamp.

Run: python examples/audit_sink.py [audit.jsonl]
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import structlog

import campaignflow as cf
from campaignflow.presets import safety


def main(path: Path) -> int:
    """Run a tiny campaign with structlog writing JSON lines to ``path``; return the line count."""
    with path.open("w", encoding="utf-8") as sink:
        structlog.configure(
            processors=[
                structlog.processors.TimeStamper(fmt="iso"),
                structlog.processors.JSONRenderer(ensure_ascii=False),
            ],
            logger_factory=structlog.WriteLoggerFactory(file=sink),
        )
        try:
            run = safety.campaign().start(["plant-1"])
            clerk = cf.Actor(id="li", roles={"secretary", "inspector"})
            run.record("plant-1", safety.Briefing(attendees=12), by=clerk)
            run.fire("plant-1", "start", by=clerk)
            with contextlib.suppress(cf.GateClosed):  # the refusal and its verdict go to the file
                run.fire("plant-1", "approve", by=clerk)
        finally:
            structlog.reset_defaults()
    return len(path.read_text(encoding="utf-8").splitlines())


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "audit.jsonl")
    print(f"{main(target)} decisions written to {target}")
