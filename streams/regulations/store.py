"""Regulations as GraphQL makes and reads them (``query.store.RegulationStore``).

A regulation names the ids it was given and every identity of their profiles then,
as pseudonyms: the id in clear goes nowhere (not on the log, not in a table).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from query.domain import EMAIL, Identifier
from query.domain.identity import normalise_email
from query.domain.pseudonyms import Pseudonyms
from query.domain.regulations import (
    SUBJECT_KINDS,
    SUPPRESSING,
    Regulation,
    RegulationState,
    RegulationType,
    SubjectType,
    check_subject_ids,
    summary,
)
from streams.regulations.executor import now_ms
from streams.regulations.log import SETTLED, RegulationLog


class LoggedRegulations:
    def __init__(
        self,
        log: RegulationLog,
        pseudonyms: Pseudonyms,
        members_of: Callable[[Identifier], Awaitable[tuple[Identifier, ...]]],
    ) -> None:
        """``members_of``: every identity (pseudonyms) of the profile a pseudonym belongs to,
        read wherever the identity graph is (``streams.state.readers.TableGraph``)."""
        self._log = log
        self._pseudonyms = pseudonyms
        self._members_of = members_of

    async def create(self, kind: RegulationType, subject_type: SubjectType, ids: list[str]) -> RegulationState:
        check_subject_ids(ids)
        id_kind = SUBJECT_KINDS[subject_type]
        subjects = [
            self._pseudonyms.of(Identifier(id_kind, normalise_email(i) if id_kind == EMAIL else i))
            for i in dict.fromkeys(ids)
        ]
        # A junk id the identity guards refuse ("anonymous", "null"...) is nobody's:
        # the regulation leaves it, and everyone who sent it, alone.
        blocked = self._pseudonyms.guards.is_blocked
        subjects = [s for s in subjects if not blocked(s)]
        members: dict[Identifier, None] = dict.fromkeys(subjects)
        for subject in subjects:
            for member in await self._members_of(subject):
                members[member] = None
        regulation = Regulation(
            id=uuid.uuid4().hex,
            type=kind,
            subject_type=subject_type,
            subjects=tuple(subjects),
            members=tuple(members),
            created_at_ms=now_ms(),
        )
        await self._log.applied(await self._log.append(regulation))
        if kind in SUPPRESSING:
            await asyncio.sleep(SETTLED)  # until every node's edge holds it (``RegulationLog``)
        return self._log.regulations.states[regulation.id]

    def get(self, regulation_id: str) -> RegulationState | None:
        return self._log.regulations.states.get(regulation_id)

    def newest_first(self) -> list[RegulationState]:
        return summary(self._log.regulations.states)
