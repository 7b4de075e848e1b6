"""What the folds need to keep people's data sealed: pseudonyms, keys, and the sealer.

Tables are keyed by pseudonyms (``query.domain.pseudonyms``), and every personal value
a fold writes (a timeline row, a profile row, an identifier's name) is sealed under the
key of the event's subject (``schemas.sealed``): once a subject's keys are deleted,
those values open nowhere. A value whose key is gone is as if never written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from query.domain.pseudonyms import Pseudonyms
from schemas.sealed import KeyRef, SealError, Sealer, read_envelope


class KeyBook(Protocol):
    """The subjects' data keys (``streams.kafka.keys.SubjectKeys``, or ``Keys``)."""

    def material(self, ref: KeyRef, /) -> bytes | None: ...

    async def caught_up(self) -> None:
        """Return once every key written so far is known here."""


@dataclass
class Keys:
    """A key book that holds what it is given (``tracklog rebuild``'s, and tests')."""

    known: dict[KeyRef, bytes] = field(default_factory=dict)

    def material(self, ref: KeyRef, /) -> bytes | None:
        return self.known.get(ref)

    async def caught_up(self) -> None:
        return None


@dataclass
class Privacy:
    pseudonyms: Pseudonyms
    keys: KeyBook
    sealer: Sealer = field(default_factory=Sealer)

    def seal(self, ref: KeyRef, plaintext: bytes) -> bytes:
        """``plaintext`` sealed under ``ref``'s key, which must be known."""
        material = self.keys.material(ref)
        if material is None:
            raise SealError(f"no key {ref.key_id} of {ref.subject} to seal with")
        return self.sealer.seal(ref, material, plaintext)

    def open(self, envelope: bytes) -> tuple[bytes, KeyRef] | None:
        """The plaintext of ``envelope`` and the key it is sealed under; None when that
        key is not known here. SealError for bytes that are no envelope of it."""
        found = read_envelope(envelope)
        material = self.keys.material(found.ref)
        return None if material is None else (self.sealer.opened(found, material), found.ref)

    async def open_logged(self, envelope: bytes) -> tuple[bytes, KeyRef] | None:
        """``open`` for an envelope from the log: its key was written before it, so a key
        not known here yet is read first; None then means it was deleted (forgotten)."""
        opened = self.open(envelope)
        if opened is None:
            await self.keys.caught_up()
            opened = self.open(envelope)
        return opened

    def seal_row(self, ref: KeyRef, plaintext: bytes) -> dict[str, str]:
        """``seal``, as the JSON object a row holds (``streams.folds.rows`` encodes it)."""
        material = self.keys.material(ref)
        if material is None:
            raise SealError(f"no key {ref.key_id} of {ref.subject} to seal with")
        return {"s": ref.subject, "k": ref.key_id, "c": self.sealer.ciphertext(ref, material, plaintext)}

    def open_row(self, row: object) -> tuple[bytes, KeyRef] | None:
        """What a sealed row holds and the key it is sealed under; None when the key was
        deleted. SealError for a row that is no envelope."""
        if not isinstance(row, dict) or not all(isinstance(row.get(k), str) for k in ("s", "k", "c")):
            raise SealError("a sealed row is an object of s, k and c")
        ref = KeyRef(row["s"], row["k"])
        material = self.keys.material(ref)
        return None if material is None else (self.sealer.plaintext(ref, material, row["c"]), ref)

    def readable(self, envelope: bytes) -> bool:
        """Whether ``envelope``'s key is still known (without opening it)."""
        return self.keys.material(read_envelope(envelope).ref) is not None
