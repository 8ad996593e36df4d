"""Structured decision events, for a host that logs with structlog or with the standard library.

The library never configures logging: the host application does. Where an
event goes:

- the host configured structlog: to structlog's configured logger, as before;
- otherwise, the host's standard-library ``logging`` lets INFO through for the
  ``campaignflow`` logger: to that logger, through structlog's stdlib
  integration (``structlog.stdlib.BoundLogger`` over ``logging.getLogger(
  "campaignflow")``), as one record per decision whose message is the event in
  logfmt and whose ``record.campaignflow`` holds the fields;
- otherwise (a host that configured nothing): dropped here, at the cost of one
  function call, because structlog's unconfigured default prints to standard
  output and a library must stay quiet.

Events are compact: a passing fire names the unit, event, stages, seq and the
gate's rule id (without building the verdict's findings); a refusal carries its
failed findings (rule, label, reason, missing), never the whole verdict tree; a
batch (``fire_many``) is one ``units_fired`` event for its moves plus one
``unit_denied`` per refusal.

``transitions`` logs an INFO line per state change through the ``transitions``
logger: unless the host set that logger's level, it is set to WARNING here, so
a host logging at INFO sees campaignflow's decisions and not the engine's steps.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

import structlog

# structlog's global configuration, read to know when a cached logger is stale; a
# structlog without it (a private name) always goes through the lazy proxy.
_STRUCTLOG: Any = getattr(getattr(structlog, "_config", None), "_CONFIG", None)

if TYPE_CHECKING:
    from campaignflow.values.findings import Verdict

log = structlog.get_logger("campaignflow")

STDLIB_LOGGER = logging.getLogger("campaignflow")
"""The standard-library logger that decision events reach when structlog is not configured."""

_TRANSITIONS = logging.getLogger("transitions")
if _TRANSITIONS.level == logging.NOTSET:  # the host's own choice wins
    _TRANSITIONS.setLevel(logging.WARNING)

_LOGFMT = structlog.processors.LogfmtRenderer(bool_as_flag=False)


def _to_record(_logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> Mapping[str, Any]:
    """The keyword arguments of ``logging.Logger.info``: a one-line message, the fields as ``extra``.

    The message is the event name then its fields in logfmt, the verdict
    flattened (``passed=true gate=...`` and each failed rule as ``label: reason``).
    """
    fields = dict(event_dict)
    shown = dict(event_dict)
    event = shown.pop("event")
    verdict = shown.pop("verdict", None)
    if verdict is not None:
        shown["passed"] = verdict["passed"]
        shown["gate"] = verdict["gate"]
        if verdict.get("failed"):
            shown["failed"] = "; ".join(
                f"{f['label'] or f['rule']}: {f['reason']}" for f in verdict["failed"]
            )
    return {"msg": f"{event} {_LOGFMT(_logger, _name, shown)}", "extra": {"campaignflow": fields}}


_stdlib = structlog.wrap_logger(
    STDLIB_LOGGER,
    processors=[_to_record],
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)


def listening() -> bool:
    """True when a host listens (structlog configured, or stdlib INFO on); build costly fields only then."""
    return structlog.is_configured() or STDLIB_LOGGER.isEnabledFor(logging.INFO)


def _failing(finding: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The deepest failing findings of a finding's dict (as ``Finding.failing``)."""
    if finding.get("passed"):
        return []
    below = [f for child in finding.get("children", ()) for f in _failing(child)]
    return below or [finding]


def _failed(rule: str, label: str, reason: str, missing: Sequence[str]) -> dict[str, Any]:
    return {"rule": rule, "label": label, "reason": reason, **({"missing": list(missing)} if missing else {})}


def compact_verdict(verdict: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A verdict's dict (``Verdict.to_dict()``) cut to what a log reader needs.

    ``{"passed": True, "gate": rule_id}`` for a passing gate; a failing one adds
    ``"failed"``: each failing leaf's rule, label, reason (and what is missing).
    """
    if verdict is None:
        return None
    root = verdict.get("root", {})
    out: dict[str, Any] = {"passed": bool(verdict.get("passed")), "gate": root.get("rule", "")}
    if not out["passed"]:
        out["failed"] = [
            _failed(f.get("rule", ""), f.get("label", ""), f.get("reason", ""), f.get("missing") or ())
            for f in _failing(root)
        ]
    return out


def passed(gate: str) -> dict[str, Any]:
    """The compact verdict of a pass of the gate whose root rule is ``gate``.

    Built without the verdict's findings: a lazy verdict stays unbuilt.
    """
    return {"passed": True, "gate": gate}


def refused(verdict: Verdict) -> dict[str, Any]:
    """The compact verdict of a refusal, from its failing findings (what :func:`compact_verdict` says)."""
    root = verdict.root
    return {
        "passed": False,
        "gate": root.rule,
        "failed": [_failed(f.rule, f.label, f.reason, f.missing) for f in root.failing()],
    }


class _Cached:
    """The logger assembled from structlog's configuration, and the configuration it came from."""

    __slots__ = ("context", "factory", "logger", "processors", "wrapper")

    def __init__(self) -> None:
        self.logger: Any = None
        self.processors: object = None
        self.wrapper: object = None
        self.context: object = None
        self.factory: object = None


_cached = _Cached()


def _configured() -> Any:
    """structlog's logger for ``campaignflow``, as ``log`` would assemble it, cached while valid.

    Calling the module's lazy proxy costs a failed attribute lookup and a ``bind()``
    per event (about 0.8 µs, a sixth of structlog's own call). The assembled logger is
    kept while structlog's configuration is the same objects (``configure`` and
    ``reset_defaults`` replace them; ``capture_logs`` edits the processor list in
    place, which the kept logger shares), and only when the host asked structlog to
    cache (``cache_logger_on_first_use``); otherwise every event goes through the
    proxy, assembled anew as structlog does.
    """
    config, cached = _STRUCTLOG, _cached
    if config is None or not config.cache_logger_on_first_use:
        return log
    if (
        cached.processors is not config.default_processors
        or cached.factory is not config.logger_factory
        or cached.wrapper is not config.default_wrapper_class
        or cached.context is not config.default_context_class
    ):
        cached.logger = structlog.get_logger("campaignflow").bind()
        cached.processors, cached.factory = config.default_processors, config.logger_factory
        cached.wrapper, cached.context = config.default_wrapper_class, config.default_context_class
    return cached.logger


def emit(name: str, /, **fields: Any) -> None:
    """Log a decision (``"unit_fired"``, ``"unit_denied"``...) if the host listens, compactly.

    Empty fields are left out; a ``verdict`` is given compact already
    (:func:`passed`, :func:`refused`, :func:`compact_verdict`).
    """
    to = logger()
    if to is not None:
        to.info(name, **{k: v for k, v in fields.items() if v is not None and v != ""})


def logger() -> Any:
    """The logger a decision event goes to now (structlog's, else the stdlib bridge), or ``None``
    when nobody listens: a fire's hot path calls its ``info`` with the event's fields as they are
    built, without a mapping of its own in between."""
    if structlog.is_configured():
        return _configured()
    if STDLIB_LOGGER.isEnabledFor(logging.INFO):
        return _stdlib
    return None
