"""query.domain.regulations and pseudonyms: regulations as values, their fold, suppression."""

from __future__ import annotations

import pytest

from query.domain import Identifier, IdentityGuards
from query.domain.errors import RecordDecodeError
from query.domain.pseudonyms import Pseudonyms, is_pseudonym
from query.domain.regulations import (
    Ack,
    InvalidRegulationError,
    Regulation,
    Regulations,
    RegulationStatus,
    RegulationType,
    StepOutcome,
    SubjectType,
    Suppressions,
    check_subject_ids,
    decode_record,
    encode_record,
    steps_of,
)

P = Pseudonyms(b"secret")


def _ids(*values: str) -> tuple[Identifier, ...]:
    return tuple(Identifier("user_id", v) for v in values)


def _regulation(kind: RegulationType, *members: str, rid: str = "r1") -> Regulation:
    return Regulation(rid, kind, SubjectType.USER_ID, _ids(*members[:1]), _ids(*members), 1_000)


def test_a_pseudonym_is_stable_keyed_and_leaves_junk_values_alone() -> None:
    ada = Identifier("user_id", "ada")
    assert P.of(ada) == P.of(ada) and is_pseudonym(P.of(ada).value)
    assert "ada" not in P.of(ada).value
    assert Pseudonyms(b"other").of(ada) != P.of(ada)  # another secret, another pseudonym
    assert P.of(Identifier("anonymous_id", "ada")) != P.of(ada)  # kinds stay apart
    assert P.of(Identifier("anonymous_id", "anonymous")).value == "anonymous"  # the guards still see it
    assert Pseudonyms(b"s", IdentityGuards(blocked_values=frozenset())).of(Identifier("x", "null")).value != "null"


@pytest.mark.parametrize(
    ("ids", "says"),
    [([], "at least one"), (["x"] * 5_001, "at most 5,000"), (["ok", "é" * 600], "id 1 is over 1024 bytes")],
)
def test_bad_subject_ids_are_refused_naming_the_field(ids: list[str], says: str) -> None:
    with pytest.raises(InvalidRegulationError) as raised:
        check_subject_ids(ids)
    assert raised.value.field == "subjectIds" and says in str(raised.value)


def test_records_round_trip_and_garbage_names_its_field() -> None:
    regulation = _regulation(RegulationType.DELETE_ONLY, "~a", "~b")
    step = StepOutcome("r1", "timeline", RegulationStatus.FAILED, 5, "partition 2 unavailable")
    ack = Ack("r1", "events", 3)
    for record in (regulation, step, ack):
        assert decode_record(encode_record(record)) == record
    bad_members = b'{"kind": "regulation", "id": "r", "type": "DELETE_ONLY", "subjectType": "EMAIL", "subjects": ["~a"]}'
    for bad, field in (
        (b"{", ""),
        (b'{"kind": "x"}', "kind"),
        (b'{"kind": "regulation", "id": "r"}', "type"),
        (bad_members, "subjects"),
    ):
        with pytest.raises(RecordDecodeError) as raised:
            decode_record(bad)
        assert raised.value.field == field


def test_a_regulation_is_finished_once_every_step_is_and_partial_when_some_failed() -> None:
    folded = Regulations()
    regulation = _regulation(RegulationType.SUPPRESS_WITH_DELETE, "~a")
    folded.apply(regulation)
    folded.apply(regulation)  # redelivered: no second regulation
    state = folded.states["r1"]
    assert [s.name for s in state.steps] == list(steps_of(RegulationType.SUPPRESS_WITH_DELETE))
    assert state.status is RegulationStatus.INITIALIZED and folded.pending() == [state]
    for n, step in enumerate(steps_of(regulation.type)):
        folded.apply(StepOutcome("r1", step, RegulationStatus.RUNNING, n))
        assert folded.states["r1"].status is RegulationStatus.RUNNING
        folded.apply(StepOutcome("r1", step, RegulationStatus.FINISHED if step != "samples" else RegulationStatus.FAILED, n))
    assert folded.states["r1"].status is RegulationStatus.PARTIAL_SUCCESS
    assert folded.states["r1"].finished_at_ms is not None and folded.pending() == []
    folded.apply(Ack("r1", "events", 2))
    folded.apply(Ack("r1", "events", 2))
    folded.apply(Ack("r0", "graph", 0))  # of no regulation here
    assert folded.states["r1"].acks == {("events", 2)} and set(folded.states) == {"r1"}


def test_suppression_covers_every_member_until_an_unsuppress_of_any_of_them() -> None:
    suppressions = Suppressions()
    suppressions.apply(_regulation(RegulationType.SUPPRESS_ONLY, "~ada", "~anon", rid="r1"))
    suppressions.apply(_regulation(RegulationType.DELETE_ONLY, "~bob", rid="r2"))  # deletes, suppresses nothing
    assert suppressions.blocks(["~x", "~anon"]) and not suppressions.blocks(["~bob"])
    suppressions.apply(Regulation("r3", RegulationType.UNSUPPRESS, SubjectType.USER_ID, _ids("~anon"), _ids("~anon"), 2))
    assert not suppressions.blocks(["~ada", "~anon"]) and len(suppressions) == 0
