"""Personal data sealed under its subject's key: what crypto-shredding deletes.

A subject is a person as the edge first sees them: the pseudonym of an event's
primary identifier (``query.domain.pseudonyms``). Each subject has one or more data
keys (random, 64 bytes; ``streams`` keeps them on a compacted topic of their own).
Everything personal the node writes (each event on the log, a profile's row, an
identifier's value) is sealed with AES-SIV under one of its subject's keys, the
subject and key id bound in as associated data. Deleting a subject's keys makes every
copy unreadable, wherever it went: the immutable log, changelogs, standby copies,
RocksDB files.

AES-SIV is deterministic: the same plaintext under the same key seals to the same
bytes, so a rebuild refolds the same sealed rows (and digests) as the live agents.

A sealed value is stored as an envelope: ``{"s": subject, "k": key id, "c": base64}``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Final

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from schemas.errors import SchemaError

KEY_BYTES: Final = 64  # AES-256-SIV
_CACHE: Final = 4_096


class SealError(SchemaError):
    """A sealed value that cannot be opened: not an envelope, or not of this key."""

    kind = "sealed"


@dataclass(frozen=True, slots=True)
class KeyRef:
    """Which key sealed a value: its subject and the key's id."""

    subject: str
    key_id: str


class _Envelope(msgspec.Struct, frozen=True):
    s: str
    k: str
    c: str


_ENVELOPE: Final = msgspec.json.Decoder(_Envelope)
_ENCODER: Final = msgspec.json.Encoder()


class Sealer:
    """Seals and opens values with key material (its ciphers kept, a bounded few)."""

    def __init__(self) -> None:
        self._ciphers: dict[bytes, AESSIV] = {}

    def _cipher(self, material: bytes) -> AESSIV:
        cipher = self._ciphers.get(material)
        if cipher is None:
            if len(self._ciphers) >= _CACHE:
                self._ciphers.clear()
            cipher = self._ciphers[material] = AESSIV(material)
        return cipher

    def seal(self, ref: KeyRef, material: bytes, plaintext: bytes) -> bytes:
        """The envelope of ``plaintext`` sealed under ``material`` (``ref``'s key)."""
        return _ENCODER.encode(_Envelope(ref.subject, ref.key_id, self.ciphertext(ref, material, plaintext)))

    def ciphertext(self, ref: KeyRef, material: bytes, plaintext: bytes) -> str:
        """The envelope's ``c``: ``plaintext`` sealed under ``material``, base64."""
        return base64.b64encode(self._cipher(material).encrypt(plaintext, [_aad(ref)])).decode()

    def open(self, envelope: bytes, material: bytes) -> bytes:
        """The plaintext of ``envelope``, sealed under ``material``; SealError otherwise."""
        ref, ciphertext = read_envelope(envelope)
        return self.plaintext(ref, material, ciphertext)

    def plaintext(self, ref: KeyRef, material: bytes, ciphertext: str) -> bytes:
        """What ``ciphertext`` (an envelope's ``c``) seals; SealError if it does not open."""
        try:
            return self._cipher(material).decrypt(base64.b64decode(ciphertext), [_aad(ref)])
        except (InvalidTag, ValueError) as exc:
            raise SealError(f"a sealed value of {ref.subject} does not open: {type(exc).__name__}") from None


def read_envelope(envelope: bytes) -> tuple[KeyRef, str]:
    """Which key sealed ``envelope``, and its ciphertext (base64); SealError if it is no envelope."""
    try:
        found = _ENVELOPE.decode(envelope)
    except msgspec.DecodeError as exc:
        raise SealError(f"not a sealed value: {exc}") from None
    return KeyRef(found.s, found.k), found.c


def _aad(ref: KeyRef) -> bytes:
    return f"{ref.subject}\x00{ref.key_id}".encode()
