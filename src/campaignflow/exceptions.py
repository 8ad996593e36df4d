"""Errors raised by campaignflow.

Every error the library raises on bad input or a refused operation is a
:class:`CampaignflowError`. Where a caller would naturally catch a builtin, the
error also inherits it (``DefinitionError`` is a ``ValueError``), as Hypothesis
does.

The hierarchy::

    CampaignflowError
    ├── DefinitionError (ValueError)      a campaign definition is invalid
    ├── OrgError (ValueError)             an organisation is malformed
    │   └── OrgMismatch (StoreError)      the store holds units the org lacks
    ├── EvidenceError (ValueError)        a piece of evidence is invalid
    ├── UnknownUnit (KeyError)            no such unit in the org
    ├── UnknownEvent (KeyError)           no such event in the campaign
    ├── UnknownStage (KeyError)           no such stage in the campaign
    ├── InvalidTransition                 the event does not leave the unit's stage
    ├── GateClosed                        the gate's verdict did not pass
    ├── PermissionDenied (PermissionError)  the actor may not do this
    ├── ActorError (ValueError)           an actor id is malformed
    ├── ArgumentError (ValueError)        an argument's value is out of range
    ├── StoreError                        the store is unreadable or inconsistent
    │   └── ConcurrentUpdate              another writer changed the unit first
    ├── VerifyError                       replay does not match the projection
    ├── HookFailed                        a host hook raised after a committed write
    └── MissingDependency (ImportError)   an optional package or program is not installed

Every message names the unit, event, rule or value at fault and says what to do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from campaignflow.values.findings import Verdict


class CampaignflowError(Exception):
    """Root of every error campaignflow raises on purpose."""


class DefinitionError(CampaignflowError, ValueError):
    """A campaign definition is invalid; the message lists every offender."""

    def __init__(self, message: str, *, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class OrgError(CampaignflowError, ValueError):
    """An organisation is malformed (cycle, level inversion, unknown parent...).

    Attributes:
        path: the file being read, when there is one.
        line: the 1-based line of that file, when known.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        elif line is not None:  # a row of Org.from_dicts
            where = f"row {line}: "
        super().__init__(where + message)
        self.path = path
        self.line = line


class EvidenceError(CampaignflowError, ValueError):
    """A piece of evidence is invalid or of a type the campaign does not declare.

    Attributes:
        unit: the unit it was recorded at, when known.
        kind: the evidence class's name, when known.
        field: the field whose value was refused, when one was.
    """

    def __init__(
        self, message: str, *, unit: str | None = None, kind: str | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.unit = unit
        self.kind = kind
        self.field = field


class UnknownUnit(CampaignflowError, KeyError):
    """The unit id is not in the organisation."""

    def __init__(self, unit: object, *, org: str = "", suggestions: tuple[str, ...] = ()) -> None:
        self.unit = unit
        self.suggestions = suggestions
        hint = f" (did you mean {', '.join(map(repr, suggestions))}?)" if suggestions else ""
        where = f" in org {org!r}" if org else " in the org"
        self.message = f"unknown unit {unit!r}: not{where}{hint}"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class UnknownEvent(CampaignflowError, KeyError):
    """The event is not declared by the campaign."""

    def __init__(self, event: object, *, campaign: str, known: tuple[str, ...] = ()) -> None:
        self.event = event
        self.message = (
            f"unknown event {event!r} in campaign {campaign!r}; "
            f"declared events: {', '.join(known) or '(none)'}"
        )
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class UnknownStage(CampaignflowError, KeyError):
    """The stage is not declared by the campaign."""

    def __init__(self, stage: object, *, campaign: str, known: tuple[str, ...] = ()) -> None:
        self.stage = stage
        self.message = (
            f"unknown stage {stage!r} in campaign {campaign!r}; "
            f"declared stages: {', '.join(known) or '(none)'}"
        )
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class InvalidTransition(CampaignflowError):
    """The event cannot be fired from the unit's current stage."""

    def __init__(self, unit: str, event: str, stage: str, *, sources: tuple[str, ...]) -> None:
        self.unit = unit
        self.event = event
        self.stage = stage
        self.sources = sources
        super().__init__(
            f"unit {unit!r} is in stage {stage!r}; event {event!r} only leaves "
            f"{', '.join(map(repr, sources)) or 'no stage'}: move the unit there first"
        )


class GateClosed(CampaignflowError):
    """The gate of the event did not pass; ``verdict`` says which rules failed and why.

    Attributes:
        verdict: the verdict (``verdict.to_dict()`` for JSON).
        unit: the unit refused.
        event: the event refused.
        actor: who tried.
        at: when (ISO time of the check).
        seq: the log number of the refusal's ``deny`` step, once written.
        kept: True when that step was committed in the store's own transaction,
            so it stays even if the caller's transaction rolls back; False when
            it was written into the caller's transaction (then the host records
            the refusal itself from these fields, or commits).
    """

    def __init__(
        self, verdict: Verdict, *, actor: str = "", seq: int | None = None, kept: bool = False
    ) -> None:
        self.verdict = verdict
        self.unit = verdict.unit
        self.event = verdict.event
        self.actor = actor
        self.at = verdict.at
        self.seq = seq
        self.kept = kept
        super().__init__(verdict.explain())


class PermissionDenied(CampaignflowError, PermissionError):
    """The actor lacks the role or scope for the operation.

    Attributes:
        unit: the unit of the operation.
        actor: who tried.
        action: what was tried (an event, ``"record"``, ``"send_back"``...).
        at: when, once the refusal was written (ISO time).
        seq: the refusal's number in the store's denial log, once written (a
            store without a denial log: the seq of its ``deny`` step).
        kept: True when it was committed in the store's own transaction
            (it survives the caller's rollback); see :class:`GateClosed`.
    """

    def __init__(self, message: str, *, unit: str, actor: str, action: str) -> None:
        super().__init__(message)
        self.unit = unit
        self.actor = actor
        self.action = action
        self.at = ""
        self.seq: int | None = None
        self.kept = False


class ActorError(CampaignflowError, ValueError):
    """An actor is malformed: empty, overlong or control-laden id, bad roles or scope."""


class ArgumentError(CampaignflowError, ValueError):
    """An argument of a run's method has a value it cannot take (a negative page size, an unknown mode).

    A value of a plainly wrong Python type (a string for a count) is a ``TypeError``.
    """


class KeyReused(CampaignflowError, ValueError):
    """An idempotency key already wrote another request's step.

    A repeated key returns the first result only for the same request (the
    same verb, unit, actor and arguments); anything else under that key is
    refused, since answering it with the first step would hide that nothing
    was written.

    Attributes:
        key: the idempotency key.
        seq: the step the key first wrote.
        unit: the unit of that step.
    """

    def __init__(self, key: str, *, seq: int, unit: str, first: str, now: str) -> None:
        self.key = key
        self.seq = seq
        self.unit = unit
        super().__init__(
            f"idempotency key {key!r} already wrote step {seq} ({first}); this request is "
            f"{now}: send a new key for a new request"
        )


class StoreError(CampaignflowError):
    """The store cannot be read or written, or is not a campaignflow store.

    Attributes:
        seq: the log row that could not be read, when one could not.
    """

    def __init__(self, message: str, *, seq: int | None = None) -> None:
        super().__init__(message)
        self.seq = seq


class ConcurrentUpdate(StoreError):
    """Another writer changed the unit since it was read; nothing was written.

    Retry the whole operation (see :func:`campaignflow.retry`).
    """

    def __init__(self, unit: str, *, expected: int, found: int, detail: str = "") -> None:
        self.unit = unit
        self.expected = expected
        self.found = found
        why = detail or f"expected version {expected}, found {found}"
        super().__init__(f"unit {unit!r} changed concurrently ({why}); nothing was written: reload and retry")


class VerifyError(CampaignflowError):
    """Replaying the log does not give the stored projection."""

    def __init__(self, message: str, *, unit: str | None = None, seq: int | None = None) -> None:
        super().__init__(message)
        self.unit = unit
        self.seq = seq


class HookFailed(CampaignflowError):
    """One or more hooks raised after the write they followed was committed.

    The write stands (hooks run after the commit, and a hook cannot undo it):
    ``result`` is what the call would have returned, ``steps`` the committed
    steps, ``errors`` each failing hook's name with its exception.

    Attributes:
        result: the call's return value (a ``Step`` or a ``BatchResult``).
        steps: the committed steps whose hooks ran.
        errors: ``(hook name, exception)`` for each hook that raised, in call order.
    """

    def __init__(
        self, result: object, *, steps: tuple[Any, ...], errors: tuple[tuple[str, Exception], ...]
    ) -> None:
        self.result = result
        self.steps = steps
        self.errors = errors
        names = "; ".join(f"{name}: {exc!r}" for name, exc in errors)
        super().__init__(f"{len(errors)} hook(s) raised after a committed write (the write stands): {names}")


class OrgMismatch(OrgError, StoreError):
    """A store opened with an org that lacks units the store holds.

    Also a :class:`StoreError`, as this refusal was before it had its own class.

    Attributes:
        units: the stored units the org lacks, sorted.
    """

    def __init__(self, message: str, *, units: tuple[str, ...]) -> None:
        super().__init__(message)
        self.units = units


class MissingDependency(CampaignflowError, ImportError):
    """An optional package or program a feature needs is not installed; the message names the install.

    For example ``campaign.diagram(format="svg")`` without the ``diagram`` extra
    (``pip install 'campaignflow[diagram]'``) or without Graphviz's ``dot``
    (``apt-get install graphviz``).
    """
