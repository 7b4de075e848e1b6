"""Forgetting a person: regulations as values, their codec on the log, and their fold.

A regulation names its subject by pseudonyms only (``query.domain.pseudonyms``): the
ids it was given, and every identity linked to them when it was made (the subject is
the whole profile). It goes onto ``<prefix>.regulations``, kept forever, so a rebuild
and a restart find it. As it is carried out, each step's outcome goes onto the same
topic; folding that topic gives every regulation's status (``fold_regulations``) and
the identities whose calls the edge must not write (``Suppressions``).

The enums are Segment's (its Public API's regulations).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Final

import orjson

from query.domain.errors import DomainError
from query.domain.fields import Reader
from query.domain.identity import EMAIL, Identifier


class RegulationType(str, Enum):
    SUPPRESS_ONLY = "SUPPRESS_ONLY"
    SUPPRESS_WITH_DELETE = "SUPPRESS_WITH_DELETE"
    DELETE_ONLY = "DELETE_ONLY"
    UNSUPPRESS = "UNSUPPRESS"


class SubjectType(str, Enum):
    USER_ID = "USER_ID"
    ANONYMOUS_ID = "ANONYMOUS_ID"
    EMAIL = "EMAIL"


# The identifier kind each subject type names (``query.domain.identity``).
SUBJECT_KINDS: Final = {
    SubjectType.USER_ID: "user_id",
    SubjectType.ANONYMOUS_ID: "anonymous_id",
    SubjectType.EMAIL: EMAIL,
}


class RegulationStatus(str, Enum):
    INITIALIZED = "INITIALIZED"
    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    PARTIAL_SUCCESS = "PARTIAL_SUCCESS"
    INVALID = "INVALID"


# What a deletion reaches, in the order it is carried out; each step's status is its own.
SUPPRESSION: Final = "ingest suppression"
DELETION_STEPS: Final = ("profile", "timeline", "identity graph", "dedupe", "samples", "raw log", "changelogs")

MAX_SUBJECT_IDS: Final = 5_000
MAX_ID_BYTES: Final = 1_024


class InvalidRegulationError(DomainError):
    """A regulation the API refuses: ``field`` names the argument, ``reason`` says why."""

    kind = "invalid_regulation"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"invalid argument {field!r}: {reason}")
        self.field = field
        self.detail = reason


def check_subject_ids(ids: list[str]) -> None:
    """Raise InvalidRegulationError (naming ``subjectIds``) for what no regulation takes."""
    if not ids:
        raise InvalidRegulationError("subjectIds", "must name at least one id")
    if len(ids) > MAX_SUBJECT_IDS:
        raise InvalidRegulationError("subjectIds", f"at most {MAX_SUBJECT_IDS:,} ids, got {len(ids):,}")
    for i, value in enumerate(ids):
        if len(value.encode()) > MAX_ID_BYTES:
            raise InvalidRegulationError("subjectIds", f"id {i} is over {MAX_ID_BYTES} bytes")


def steps_of(kind: RegulationType) -> tuple[str, ...]:
    """The steps a regulation of ``kind`` carries out, in order."""
    if kind is RegulationType.DELETE_ONLY:
        return DELETION_STEPS
    if kind is RegulationType.SUPPRESS_WITH_DELETE:
        return (SUPPRESSION, *DELETION_STEPS)
    return (SUPPRESSION,)


@dataclass(frozen=True, slots=True)
class Regulation:
    """One regulation as made: ``subjects`` are the ids given, ``members`` every
    identity of their profiles then (the subjects among them), all as pseudonyms."""

    id: str
    type: RegulationType
    subject_type: SubjectType
    subjects: tuple[Identifier, ...]
    members: tuple[Identifier, ...]
    created_at_ms: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "regulation",
            "id": self.id,
            "type": self.type.value,
            "subjectType": self.subject_type.value,
            "subjects": [i.to_dict() for i in self.subjects],
            "members": [i.to_dict() for i in self.members],
            "createdAt": self.created_at_ms,
        }


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """How one step of one regulation ended (or that it started), and when."""

    regulation: str
    step: str
    status: RegulationStatus
    at_ms: int
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "step",
            "id": self.regulation,
            "step": self.step,
            "status": self.status.value,
            "at": self.at_ms,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class Ack:
    """A fold forgot a regulation's members in one partition of its input (``target``:
    ``graph`` for identity-links, ``events`` for the events log)."""

    regulation: str
    target: str
    partition: int

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "ack", "id": self.regulation, "target": self.target, "partition": self.partition}


Record = Regulation | StepOutcome | Ack


def encode_record(record: Record) -> bytes:
    return orjson.dumps(record.to_dict())


def decode_record(value: bytes) -> Record:
    """A record of the regulations topic; RecordDecodeError naming the field otherwise."""
    try:
        d = orjson.loads(value)
    except orjson.JSONDecodeError:
        d = None
    r = Reader(d, "regulation record")
    kind = r.get_str("kind")
    if kind == "regulation":
        return Regulation(
            id=r.get_str("id"),
            type=r.get_enum("type", RegulationType),
            subject_type=r.get_enum("subjectType", SubjectType),
            subjects=_identifiers(r, "subjects"),
            members=_identifiers(r, "members"),
            created_at_ms=r.get_int("createdAt"),
        )
    if kind == "step":
        return StepOutcome(
            regulation=r.get_str("id"),
            step=r.get_str("step"),
            status=r.get_enum("status", RegulationStatus),
            at_ms=r.get_int("at"),
            error=r.get_opt_str("error"),
        )
    if kind == "ack":
        return Ack(regulation=r.get_str("id"), target=r.get_str("target"), partition=r.get_int("partition"))
    raise r.fail("kind", "not a regulation, a step or an ack")


def _identifiers(r: Reader, key: str) -> tuple[Identifier, ...]:
    try:
        return tuple(Identifier.from_dict(v) for v in r.get_list(key))
    except DomainError:
        raise r.fail(key, "expected an array of identifiers ({k, v})") from None


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    status: RegulationStatus = RegulationStatus.INITIALIZED
    error: str | None = None
    at_ms: int | None = None  # when it got its status


@dataclass(frozen=True, slots=True)
class RegulationState:
    """A regulation and how far it got: its status follows from its steps'."""

    regulation: Regulation
    steps: tuple[Step, ...]
    finished_at_ms: int | None = None
    acks: frozenset[tuple[str, int]] = frozenset()  # (target, partition) forgotten

    @property
    def status(self) -> RegulationStatus:
        statuses = [s.status for s in self.steps]
        if all(s is RegulationStatus.FINISHED for s in statuses):
            return RegulationStatus.FINISHED
        if all(s is RegulationStatus.INITIALIZED for s in statuses):
            return RegulationStatus.INITIALIZED
        if any(s is RegulationStatus.FAILED for s in statuses):
            finished = any(s is RegulationStatus.FINISHED for s in statuses)
            pending = any(s in (RegulationStatus.INITIALIZED, RegulationStatus.RUNNING) for s in statuses)
            if pending:
                return RegulationStatus.RUNNING
            return RegulationStatus.PARTIAL_SUCCESS if finished else RegulationStatus.FAILED
        return RegulationStatus.RUNNING

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)


@dataclass
class Regulations:
    """The fold of the regulations topic: every regulation's state, in the order made."""

    states: dict[str, RegulationState] = field(default_factory=dict)

    def apply(self, record: Record) -> None:
        """Fold one record; a repeated record (redelivery) changes nothing."""
        if isinstance(record, Regulation):
            if record.id not in self.states:
                steps = tuple(Step(name) for name in steps_of(record.type))
                self.states[record.id] = RegulationState(record, steps)
            return
        state = self.states.get(record.regulation)
        if isinstance(record, Ack):
            if state is not None:
                self.states[record.regulation] = replace(state, acks=state.acks | {(record.target, record.partition)})
            return
        if state is None or state.step(record.step) is None:
            return
        steps = tuple(
            replace(s, status=record.status, error=record.error, at_ms=record.at_ms) if s.name == record.step else s for s in state.steps
        )
        done = all(s.status in (RegulationStatus.FINISHED, RegulationStatus.FAILED) for s in steps)
        self.states[record.regulation] = replace(state, steps=steps, finished_at_ms=record.at_ms if done else None)

    def pending(self) -> list[RegulationState]:
        """The regulations with steps still to carry out, in the order made."""
        return [
            s
            for s in self.states.values()
            if any(step.status in (RegulationStatus.INITIALIZED, RegulationStatus.RUNNING) for step in s.steps)
        ]


SUPPRESSING: Final = frozenset({RegulationType.SUPPRESS_ONLY, RegulationType.SUPPRESS_WITH_DELETE})


@dataclass
class Suppressions:
    """The pseudonyms whose calls the edge answers 200 and does not write.

    A SUPPRESS_* regulation suppresses its members; an UNSUPPRESS lifts every
    suppression that any of its subjects is a member of (and nothing deleted comes back).
    """

    _by_regulation: dict[str, frozenset[str]] = field(default_factory=dict)
    _suppressed: dict[str, int] = field(default_factory=dict)  # pseudonym -> regulations
    # How many times the set changed: what was found covered or not holds while it stays.
    changes: int = field(default=0, compare=False)

    def apply(self, regulation: Regulation) -> None:
        if regulation.type in SUPPRESSING:
            if regulation.id in self._by_regulation:
                return
            members = frozenset(i.value for i in (*regulation.members, *regulation.subjects))
            self._by_regulation[regulation.id] = members
            self.changes += 1
            for member in members:
                self._suppressed[member] = self._suppressed.get(member, 0) + 1
        elif regulation.type is RegulationType.UNSUPPRESS:
            subjects = {i.value for i in regulation.subjects}
            lifted = [rid for rid, members in self._by_regulation.items() if members & subjects]
            self.changes += bool(lifted)
            for rid in lifted:
                for member in self._by_regulation.pop(rid):
                    left = self._suppressed[member] - 1
                    if left:
                        self._suppressed[member] = left
                    else:
                        del self._suppressed[member]

    def blocks(self, pseudonyms: Iterable[str]) -> bool:
        suppressed = self._suppressed
        return bool(suppressed) and any(p in suppressed for p in pseudonyms)

    def __contains__(self, pseudonym: object) -> bool:
        return pseudonym in self._suppressed

    def __len__(self) -> int:
        return len(self._suppressed)


def summary(states: Mapping[str, RegulationState]) -> list[RegulationState]:
    """The regulations, newest first."""
    return sorted(states.values(), key=lambda s: (s.regulation.created_at_ms, s.regulation.id), reverse=True)
