"""What the mass-line simulation takes and gives: its odds, how its phases order units, its result."""

from __future__ import annotations

from enum import Enum

import attrs

import campaignflow as cf


@attrs.frozen(kw_only=True)
class Odds:
    """How often things go wrong in the simulation (each a probability per unit)."""

    short_study: float = 0.08  # too few sessions or hours: 补课 after a look-back
    missing_talk: float = 0.10  # a pair of leaders did not talk
    unconfirmed_problem: float = 0.06  # one 四风 category not pinned down
    stale_approval: float = 0.08  # the group approved an older draft
    weak_criticism: float = 0.10  # the meeting was not critical enough: 返工
    stubborn: float = 0.02  # keeps failing, sent back 3-4 times
    laggard: float = 0.01  # never fixes what blocks its meeting: stays blocked (短板)
    rejected_closure: float = 0.10  # the public did not accept a ledger closure
    missing_handbook: float = 0.03  # a member was not handed one of the 人手一册 materials
    principal_away: float = 0.30  # a principal studies at the level above (学习上延一级) instead
    skipped_visit: float = 0.05  # a leader skips a week's contact visit (caught up later)
    absent_leader: float = 0.03  # a leader stops visiting (overdue until forced)
    few_households: float = 0.05  # a leader linked to fewer households than 一联五 asks


@attrs.frozen(kw_only=True)
class Simulation:
    """What the simulation did.

    Attributes:
        run: the finished run.
        refusals: verdicts of refused attempts, in order (first few kept in full).
        refused: number of refused attempts.
        sent_back: number of send-backs.
    """

    run: cf.Run
    refusals: tuple[cf.Verdict, ...]
    refused: int
    sent_back: int


class Order(Enum):
    """How a phase's units wait for each other across levels (what a sharded run must keep)."""

    ANY = "any"  # no unit waits for another's turn in this phase
    DOWN = "down"  # parents first (cf.parent_first): the root's turn before its provinces'
    UP = "up"  # children first (cf.children_done): the provinces' turns before the root's
