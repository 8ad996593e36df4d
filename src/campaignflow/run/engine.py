"""The compiled engine: the one module that imports ``transitions``.

A campaign compiles to ONE shared ``transitions`` machine. Units are never
added to it as models (``Machine.add_model`` is quadratic); the machine fires on
plain slotted records through ``machine.events[name].trigger(record)`` or, for
nested stages, ``HierarchicalMachine.trigger_event(record, name)``. The machine
has no callbacks or conditions (gates are judged before it is asked), so its
answer depends on the state and the event alone: it is asked once per pair, and
the move it made is applied to later records in that state.
"""

from __future__ import annotations

from typing import Any, Protocol

from transitions import Machine, MachineError
from transitions.extensions.nesting import HierarchicalMachine, NestedState

from campaignflow.definition.model import SEPARATOR, Definition, Stage


class StateRecord(Protocol):
    """What the engine needs of a unit: a mutable ``state`` attribute."""

    state: str


class _State(NestedState):
    separator = SEPARATOR


class _HMachine(HierarchicalMachine):
    state_cls = _State


def send_back_event(stage: str) -> str:
    """The internal event name that sends a unit back to ``stage``."""
    return f"send_back:{stage}"


class EngineRefused(Exception):
    """The machine refused the event from the record's state."""


def _state_spec(stage: Stage) -> dict[str, Any] | str:
    if not stage.substages:
        return stage.id
    return {
        "name": stage.id,
        "children": [_state_spec(s) for s in stage.substages],
        "initial": stage.substages[0].id,
    }


class Engine:
    """The campaign's machine, plus the lookups the run needs around it."""

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.nested = definition.nested
        cls = _HMachine if self.nested else Machine
        spec: list[Any] = [_state_spec(s) for s in definition.stages]
        self.machine = cls(
            model=None,
            states=spec,
            initial=definition.initial,
            auto_transitions=False,
            send_event=False,
        )
        for t in definition.transitions:
            sources: list[Any] = list(t.sources)
            self.machine.add_transition(t.event, sources, t.dest)
        leaves = definition.leaves
        for stage in definition.reworks:
            first = definition.first_leaf(stage)
            later: list[Any] = list(leaves[leaves.index(first) + 1 :])
            if later:
                self.machine.add_transition(send_back_event(stage), later, stage)
        self._moves: dict[tuple[str, str], str] = {}
        self._fast = {} if self.nested else {e: self.machine.events[e] for e in self.machine.events}
        # Destination per (event, leaf): asked of the machine's own transition table.
        self._dest: dict[tuple[str, str], str] = {}
        for name, event in self.machine.events.items():
            for leaf in leaves:
                found = self._lookup(event.transitions, leaf)
                if found is not None:
                    self._dest[(name, leaf)] = definition.first_leaf(found)

    @staticmethod
    def _lookup(table: dict[str, list[Any]], leaf: str) -> str | None:
        probe = leaf
        while True:
            if table.get(probe):
                dest: str = table[probe][0].dest
                return dest
            if SEPARATOR not in probe:
                return None
            probe = probe.rsplit(SEPARATOR, 1)[0]

    def dest(self, event: str, leaf: str) -> str | None:
        """The leaf ``event`` leads to from ``leaf``, or ``None`` if it does not leave it."""
        return self._dest.get((event, leaf))

    def sources(self, event: str) -> tuple[str, ...]:
        """The leaves ``event`` may leave."""
        return tuple(leaf for (e, leaf) in self._dest if e == event)

    def has_event(self, event: str) -> bool:
        """True when the machine knows ``event``."""
        return event in self.machine.events

    def apply(self, record: StateRecord, event: str) -> None:
        """Fire ``event`` on ``record`` through the machine.

        The machine carries no callbacks or conditions (gates are judged before
        it is asked), so its answer depends on the state and the event alone:
        it is asked once per ``(state, event)``, and later records in that state
        take the move it made. The first record of each pair always goes through
        ``transitions``; so does every record in a nested machine's state that
        was never asked.

        Raises:
            EngineRefused: the machine refused the event from the record's state.
        """
        key = (record.state, event)
        known = self._moves.get(key)
        if known is not None:
            record.state = known
            return
        try:
            if self.nested:
                done = self.machine.trigger_event(record, event)
            else:
                done = self._fast[event].trigger(record)
        except MachineError as exc:
            raise EngineRefused(str(exc)) from exc
        if not done:
            raise EngineRefused(f"{event!r} refused from {record.state!r}")
        self._moves[key] = record.state
