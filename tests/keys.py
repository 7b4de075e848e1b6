"""Data keys and sealing for tests that run without a keys topic."""

from __future__ import annotations

import os
from collections.abc import Iterable

from query.domain import primary_identifier
from query.domain.pseudonyms import Pseudonyms
from schemas import decode_event
from schemas.sealed import KEY_BYTES, KeyRef, Sealer
from streams.folds.privacy import Keys, Privacy
from streams.kafka.keys import SubjectKeys

# The pseudonyms' secret of every node tests and benchmarks start (tests/conftest.py).
TEST_SECRET = "tracklog-test-secret-not-for-production"


class MemoryKeys(Keys):
    """Subjects' data keys made in memory: the edge's ``KeyMaker`` and the folds'
    ``KeyBook`` in one."""

    forgotten = 0

    def make(self, subject: str) -> tuple[KeyRef, bytes]:
        ref = KeyRef(subject, "k1")
        return ref, self.known.setdefault(ref, os.urandom(KEY_BYTES))

    def current(self, subject: str) -> tuple[KeyRef, bytes] | None:
        ref = KeyRef(subject, "k1")
        material = self.known.get(ref)
        return None if material is None else (ref, material)

    async def keys_for(self, subjects: Iterable[str]) -> dict[str, tuple[KeyRef, bytes]]:
        return {subject: self.make(subject) for subject in subjects}

    @property
    def replaced(self) -> int:
        """How many keys were forgotten (a key once made is never replaced)."""
        return self.forgotten

    def forget(self, subject: str) -> None:
        self.forgotten += self.known.pop(KeyRef(subject, "k1"), None) is not None


def pseudonym(kind: str, value: str) -> str:
    """The pseudonym a node started by the tests names ``kind``/``value`` by."""
    return Pseudonyms(TEST_SECRET.encode()).value(kind, value)


async def sealed_with_the_nodes_keys(
    bootstrap: str, keys_topic: str, subject: str, events: list[bytes], *, rows: bool = False
) -> list[bytes]:
    """``events`` (wire forms) sealed under ``subject``'s data key on the node's keys
    topic (made there if it has none): what the node's edge would have written (or, with
    ``rows``, sealed as the folds seal a row's value)."""
    keys = SubjectKeys(bootstrap, keys_topic)
    await keys.start()
    try:
        ref, material = await keys.key_for(subject)
    finally:
        await keys.stop()
    sealer = Sealer()
    seal = sealer.seal if rows else sealer.seal_event
    return [seal(ref, material, event) for event in events]


def privacy(keys: Keys) -> Privacy:
    return Privacy(Pseudonyms(TEST_SECRET.encode()), keys)


def seal(privacy: Privacy, event: bytes, subject: str | None = None) -> bytes:
    """``event`` (its wire form) sealed as the edge seals it: under its subject's key
    (``subject``, or the pseudonym of its primary identifier), made if need be."""
    if subject is None:
        primary = primary_identifier(decode_event(event))
        assert primary is not None
        subject = privacy.pseudonyms.of(primary).value
    assert isinstance(privacy.keys, MemoryKeys)
    ref, material = privacy.keys.make(subject)
    return Sealer().seal_event(ref, material, event)
