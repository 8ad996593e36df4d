"""The denial log: refused authorisations, hash-chained apart from every unit's chain.

A refusal for scope or role must be audited, but must not write into the denied
unit's chain nor bump its version: otherwise anyone could grow another
township's log and force ``ConcurrentUpdate`` on its legitimate writers. Each
store keeps these refusals in a log of their own (``cf_denials`` on SQL), one
hash chain per campaign: a denial's hash covers its body and the previous
denial's hash. ``verify`` recomputes the chain and counts the denials.
"""

from __future__ import annotations

import hashlib

import attrs
import orjson


@attrs.frozen(kw_only=True)
class Denial:
    """One refused attempt.

    Attributes:
        seq: its number in the denial log (1, 2, ...).
        unit: the unit the actor tried to act on.
        actor: who tried.
        action: what was tried (an event, ``"record"``, ``"send_back"``...).
        stage: the unit's stage at the time.
        reason: the refusal's message.
        at: ISO time.
        prev_hash: the previous denial's hash (``""`` for the first).
        hash: sha256 over ``prev_hash`` and :func:`denial_body`.
    """

    seq: int
    unit: str
    actor: str
    action: str
    stage: str
    reason: str
    at: str
    prev_hash: str = ""
    hash: str = ""


def denial_body(denial: Denial) -> bytes:
    """The canonical bytes a denial's hash covers (all but its hashes)."""
    data = attrs.asdict(denial)
    del data["prev_hash"], data["hash"]
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def denial_hash(prev_hash: str, denial: Denial) -> str:
    """The hash ``denial`` must carry after ``prev_hash``."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(denial_body(denial))
    return digest.hexdigest()


def chained(denial: Denial, seq: int, prev_hash: str) -> Denial:
    """``denial`` numbered ``seq`` and linked after ``prev_hash``."""
    numbered = attrs.evolve(denial, seq=seq, prev_hash=prev_hash, hash="")
    return attrs.evolve(numbered, hash=denial_hash(prev_hash, numbered))


def chain_problem(denials: list[Denial]) -> tuple[int, str] | None:
    """The first broken link of a denial log, as ``(seq, problem)``, or None."""
    head, last = "", 0
    for d in denials:
        if d.prev_hash != head:
            return d.seq, (
                f"denial {d.seq} does not follow denial {last or 'the start of the log'}: "
                "a denial was deleted, inserted or moved"
            )
        if denial_hash(head, d) != d.hash:
            return d.seq, f"denial {d.seq} was altered: its hash does not match"
        head, last = d.hash, d.seq
    return None
