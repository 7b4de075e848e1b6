"""The GraphQL enums: the core's own enums, exposed under their GraphQL names."""

from __future__ import annotations

import enum

import strawberry

from registry import ChangeKind as CoreChangeKind, ColumnType as CoreColumnType, PiiClassification as CorePii, Policy
from schemas import EventType as CoreEventType

# strawberry.enum registers an existing enum and returns that same class, so a
# resolver receives and returns the core's values with no conversion.
EventType = strawberry.enum(CoreEventType, name="EventType", description="A Segment call type.")
ColumnType = strawberry.enum(
    CoreColumnType,
    name="ColumnType",
    description="The type of a column: the join of every type observed in it.",
)
ChangeKind = strawberry.enum(
    CoreChangeKind,
    name="ChangeKind",
    description=(
        "What one entry of a column's history records: COLUMN_ADDED; TYPE_WIDENED (the "
        "type moved up losslessly, e.g. INTEGER to NUMBER); TYPE_CONFLICT (any other new "
        "type); VIOLATION (a LOCKed column saw a type outside its type and kept it)."
    ),
)
ColumnPolicy = strawberry.enum(
    Policy,
    name="ColumnPolicy",
    description=(
        "What a column does when a conflicting type arrives: WIDEN its type to the join "
        "(the default), or LOCK it (keep the type and count a violation)."
    ),
)


PiiClassification = strawberry.enum(
    CorePii,
    name="PiiClassification",
    description=(
        "Whether a column holds personal data: NONE; YELLOW (it identifies a person: an "
        "email, a phone number, an IP address); RED (never shown in clear: a card number, "
        "a national id, a password, a token, a secret; timelines show it redacted)."
    ),
)


@strawberry.enum(description="How a column differs between two versions of a schema.")
class DiffKind(enum.Enum):
    """Mirrors `registry.history.DiffKind`, a Literal the GraphQL layer cannot register."""

    ADDED = "ADDED"
    REMOVED = "REMOVED"
    CHANGED = "CHANGED"
