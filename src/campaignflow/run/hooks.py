"""Calling the host's hooks after a committed write (``campaign.on_enter(...)`` and the rest).

Hooks run after the store accepted the write and the run's state moved, in the
order of the steps (batch order for ``fire_many``), each step's hooks in the
order :func:`~campaignflow.definition.hooks.hooks_for` gives. A hook that raises
neither stops the others nor undoes the write: its error is logged
(``hook_failed``) and, once every hook has run, raised to the caller as
:class:`~campaignflow.HookFailed` carrying the call's result. Opening and
replaying a run never call hooks (they do not go through the verbs that do).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from campaignflow.definition.hooks import hooks_for
from campaignflow.exceptions import HookFailed
from campaignflow.run import audit as _audit
from campaignflow.values.records import Kind, Step

if TYPE_CHECKING:
    from campaignflow.run.state import RunState


def call_hooks(run: RunState, steps: Iterable[Step], result: object) -> None:
    """Call the hooks of each committed ``step`` in turn.

    Raises:
        HookFailed: some hook raised; ``result`` (what the call returns) and the
            steps are on the error, the write stands.
    """
    declared = run.definition.hooks
    if not declared:
        return
    errors: list[tuple[str, Exception]] = []
    done: list[Step] = []
    for step in steps:
        if step.kind not in {Kind.FIRE, Kind.SEND_BACK}:
            continue
        done.append(step)
        kind = "fire" if step.kind is Kind.FIRE else "send_back"
        for hook in hooks_for(
            declared, kind=kind, event=step.event, source=step.source, dest=step.dest, target=step.target
        ):
            try:
                hook.fn(run, step)
            except Exception as exc:  # noqa: BLE001 - a host's hook may raise anything; reported below
                errors.append((hook.name, exc))
                _audit.emit(
                    "hook_failed",
                    campaign=run.definition.id,
                    unit=step.unit,
                    hook=hook.name,
                    seq=step.seq,
                    error=repr(exc),
                )
    if errors:
        raise HookFailed(result, steps=tuple(done), errors=tuple(errors))
