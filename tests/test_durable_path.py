"""The durable write path's shortcuts give what the plain way gives (issue 24)."""

from __future__ import annotations

import uuid

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.exceptions import EvidenceError
from campaignflow.run.evidence import fresh_ids
from campaignflow.store.validate import CONTROL, MAX_TEXT, check_evidence

NOW = cf.FixedClock()()


@attrs.frozen
class Note:
    text: str


def test_fresh_ids_are_uuid4_hex_and_distinct() -> None:
    ids = fresh_ids(5_000)
    assert len(set(ids)) == len(ids) == 5_000
    for found in ids:
        parsed = uuid.UUID(hex=found)
        assert parsed.hex == found
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_record_many_draws_default_ids_as_uuid4() -> None:
    c = cf.Campaign("ids")
    c.stages("a")
    c.evidence(Note)
    run = c.start(["u1", "u2"])
    stored = run.record_many([("u1", Note("x")), ("u2", Note("y")), ("u1", Note("z"))], by=cf.Actor(id="p"))
    ids = [s.evidence.id for s in stored if s.evidence is not None]
    assert len(set(ids)) == 3
    assert all(uuid.UUID(hex=i).version == 4 for i in ids)


def _refused_the_plain_way(text: str) -> bool:
    """The text checks as written before the one-scan shortcut."""
    if len(text) > MAX_TEXT or not CONTROL.isdisjoint(text):
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


EDGES = ["\ud800", "\udfff", "\x00", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\t", "\n", "\r", " ", "中"]


@given(st.text(alphabet=st.one_of(st.characters(codec=None, max_codepoint=0xE000), st.sampled_from(EDGES))))
def test_text_checks_refuse_what_the_plain_checks_refuse(text: str) -> None:
    refused = _refused_the_plain_way(text)
    if refused:
        with pytest.raises(EvidenceError):
            check_evidence("u1", Note(text), NOW)
    else:
        assert check_evidence("u1", Note(text), NOW) == Note(text)


@pytest.mark.parametrize(
    ("text", "why"),
    [("a\x00b", "control characters"), ("a\ud800", "lone surrogate"), ("x\x1f\ud800", "control characters")],
)
def test_a_refused_text_is_named_as_before(text: str, why: str) -> None:
    with pytest.raises(EvidenceError, match=why):
        check_evidence("u1", Note(text), NOW)
