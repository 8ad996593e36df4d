"""Structured decision events through structlog.

The library never configures structlog: the host application does. Until it has,
events are dropped here, at the cost of one function call, because structlog's
unconfigured default prints to standard output and a library must stay quiet.
"""

from __future__ import annotations

from typing import Any

import structlog

log = structlog.get_logger("campaignflow")

listening = structlog.is_configured
"""True when the host has configured structlog; build costly fields only then."""


def emit(name: str, /, **fields: Any) -> None:
    """Log a decision (``"unit_fired"``, ``"unit_denied"``...) if the host listens."""
    if structlog.is_configured():
        log.info(name, **fields)
