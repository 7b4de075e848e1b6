"""Personal data sealed under its subject's key: what crypto-shredding deletes.

A subject is a person as the edge first sees them: the pseudonym of an event's
primary identifier (``query.domain.pseudonyms``). Each subject has one or more data
keys (random, 64 bytes; ``streams`` keeps them on a compacted topic of their own).
Everything personal the node writes (each event on the log, a profile's row, an
identifier's value) is sealed under one of its subject's keys. Deleting a subject's
keys makes every copy unreadable, wherever it went: the immutable log, changelogs,
standby copies, RocksDB files.

A sealed value is an envelope naming its key, in one of two forms:

- **Rows** (``seal``): JSON, ``{"s": subject, "k": key id, "c": base64}``, sealed with
  AES-SIV, the subject and key id bound in as associated data. AES-SIV is
  deterministic: the same plaintext under the same key seals to the same bytes, so a
  rebuild refolds the same sealed rows (and digests) as the live agents.
- **Events on the log** (``seal_event``): binary, sealed with AES-256-GCM under a key
  derived from the data key (HKDF-SHA256). Its 96-bit nonce is a count: each
  ``Sealer`` starts at a random point below 2^96 - 2^64 and counts up, so its own nonces
  never repeat, and two sealers' only meet if one starts within the other's run: for N
  sealers that each sealed at most L values under a key, below N²·L/2^96 (2^-56 for a
  thousand sealers of 2^40 events each). (``os.urandom`` per event cost the edge twice
  the cipher; a random field and a 32-bit count cost it a quarter more than one count.)
  An event is sealed once, at the edge, and every copy of it (a timeline row, a
  quarantined event) is that envelope, so nothing needs it to be deterministic; GCM
  costs the edge a third of what SIV does, and no base64::

      0x01 | subject length (2 bytes) | subject | key id length (1 byte) | key id
           | nonce (12 bytes) | ciphertext and tag

  The header is not bound in as associated data: each key belongs to one subject and
  key id, so a header that names another key names a key the ciphertext does not
  open under.

``read_envelope`` reads both forms; a log written before the binary form still opens.
"""

from __future__ import annotations

import base64
import itertools
import os
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Final, NamedTuple

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from schemas.errors import SchemaError

KEY_BYTES: Final = 64  # AES-256-SIV
_CACHE: Final = 4_096
_BINARY: Final = 1  # the first byte of a binary envelope (a JSON one's is "{")
_NONCE: Final = 12
_EVENTS_KEY_INFO: Final = b"tracklog events AES-256-GCM"


class SealError(SchemaError):
    """A sealed value that cannot be opened: not an envelope, or not of this key."""

    kind = "sealed"


@dataclass(frozen=True, slots=True)
class KeyRef:
    """Which key sealed a value: its subject and the key's id."""

    subject: str
    key_id: str


class Envelope(NamedTuple):
    """An envelope as read: the key that sealed it, and what it holds."""

    ref: KeyRef
    ciphertext: bytes
    binary: bool  # the events log's form (nonce and AES-GCM); else a row's (AES-SIV)


class EventKey(NamedTuple):
    """A key made ready to seal events with (``Sealer.event_key``)."""

    head: bytes  # the binary envelope's, up to the nonce
    encrypt: Callable[[bytes, bytes, bytes | None], bytes]  # AES-GCM's (nonce, plaintext, None)


class _Envelope(msgspec.Struct, frozen=True):
    s: str
    k: str
    c: str


_ENVELOPE: Final = msgspec.json.Decoder(_Envelope)
_ENCODER: Final = msgspec.json.Encoder()
_TAIL: Final = b'"}'


class _Key:
    """One key, ready to seal and open with: its ciphers and envelopes' heads, each
    made when first needed (the edge seals only events, the folds mostly rows)."""

    __slots__ = ("ref", "material", "_rows", "_events")

    def __init__(self, ref: KeyRef, material: bytes) -> None:
        self.ref, self.material = ref, material
        self._rows: tuple[AESSIV, list[bytes], bytes] | None = None
        self._events: tuple[AESGCM, bytes] | None = None

    def rows(self) -> tuple[AESSIV, list[bytes], bytes]:
        """The rows' cipher, associated data and JSON envelope head."""
        if self._rows is None:
            ref = self.ref
            head = _ENCODER.encode(_Envelope(ref.subject, ref.key_id, ""))[: -len(_TAIL)]
            self._rows = (AESSIV(self.material), [_aad(ref)], head)
        return self._rows

    def events(self) -> tuple[AESGCM, bytes]:
        """The events' cipher and binary envelope head."""
        if self._events is None:
            subject, key_id = self.ref.subject.encode(), self.ref.key_id.encode()
            if len(subject) > 0xFFFF or len(key_id) > 0xFF:
                raise SealError(f"a key of {self.ref.subject[:40]!r} has an id or subject too long to name")
            head = b"".join((bytes((_BINARY,)), struct.pack(">H", len(subject)), subject, bytes((len(key_id),)), key_id))
            derived = HKDF(hashes.SHA256(), 32, None, _EVENTS_KEY_INFO).derive(self.material)
            self._events = (AESGCM(derived), head)
        return self._events


class Sealer:
    """Seals and opens values with key material (its ciphers kept, a bounded few)."""

    def __init__(self) -> None:
        self._keys: dict[bytes, _Key] = {}
        self._nonces = _nonces()

    def _key(self, ref: KeyRef, material: bytes) -> _Key:
        key = self._keys.get(material)
        # The edge's KeyRef is the same object each time (``SubjectKeys.current``): no
        # dataclass __eq__ on its hot path.
        if key is None or (key.ref is not ref and key.ref != ref):
            if len(self._keys) >= _CACHE:
                self._keys.clear()
            key = self._keys[material] = _Key(ref, material)
        return key

    def seal(self, ref: KeyRef, material: bytes, plaintext: bytes) -> bytes:
        """The JSON envelope of ``plaintext`` sealed under ``material`` (``ref``'s key):
        deterministic, for rows."""
        cipher, aad, head = self._key(ref, material).rows()
        return b"".join((head, base64.b64encode(cipher.encrypt(plaintext, aad)), _TAIL))

    def seal_event(self, ref: KeyRef, material: bytes, plaintext: bytes) -> bytes:
        """The binary envelope of ``plaintext`` sealed under ``material`` (``ref``'s
        key): an event on the log."""
        return self.seal_events([self.event_key(ref, material)], [plaintext])[0]

    def event_key(self, ref: KeyRef, material: bytes) -> EventKey:
        """``ref``'s key made ready to seal events with (``seal_events``): what the edge
        keeps for each person it sees often (no key lookup per event)."""
        cipher, head = self._key(ref, material).events()
        return EventKey(head, cipher.encrypt)

    def seal_events(self, keys: Iterable[EventKey], plaintexts: Iterable[bytes]) -> list[bytes]:
        """The binary envelope of each plaintext under its key (``keys`` and
        ``plaintexts`` in step): a call's events, each under its own subject's key, in
        one loop."""
        nonces, join = self._nonces, b"".join
        envelopes: list[bytes] = []
        append = envelopes.append
        for (head, encrypt), plaintext in zip(keys, plaintexts, strict=True):
            nonce = next(nonces).to_bytes(_NONCE, "big")
            append(join((head, nonce, encrypt(nonce, plaintext, None))))
        return envelopes

    def ciphertext(self, ref: KeyRef, material: bytes, plaintext: bytes) -> str:
        """A JSON envelope's ``c``: ``plaintext`` sealed under ``material``, base64."""
        cipher, aad, _ = self._key(ref, material).rows()
        return base64.b64encode(cipher.encrypt(plaintext, aad)).decode()

    def open(self, envelope: bytes, material: bytes) -> bytes:
        """The plaintext of ``envelope``, sealed under ``material``; SealError otherwise."""
        return self.opened(read_envelope(envelope), material)

    def opened(self, envelope: Envelope, material: bytes) -> bytes:
        """What the read ``envelope`` seals; SealError if it does not open under ``material``."""
        ref, ciphertext, binary = envelope
        key = self._key(ref, material)
        try:
            if binary:
                return key.events()[0].decrypt(ciphertext[:_NONCE], ciphertext[_NONCE:], None)
            cipher, aad, _ = key.rows()
            return cipher.decrypt(ciphertext, aad)
        except (InvalidTag, ValueError) as exc:
            raise SealError(f"a sealed value of {ref.subject} does not open: {type(exc).__name__}") from None

    def plaintext(self, ref: KeyRef, material: bytes, ciphertext: str) -> bytes:
        """What ``ciphertext`` (a JSON envelope's ``c``) seals; SealError if it does not open."""
        try:
            raw = base64.b64decode(ciphertext)
        except ValueError as exc:
            raise SealError(f"a sealed value of {ref.subject} is not base64: {exc}") from None
        return self.opened(Envelope(ref, raw, False), material)


def _nonces() -> Iterator[int]:
    """A sealer's nonces, as integers: a count from a random start that leaves 2^64 of
    them before the 96 bits would run out."""
    return itertools.count(int.from_bytes(os.urandom(_NONCE), "big") % (2 ** (8 * _NONCE) - 2**64))


def read_envelope(envelope: bytes) -> Envelope:
    """Which key sealed ``envelope``, and what it holds; SealError if it is no envelope."""
    if envelope[:1] == b"\x01":
        return _read_binary(envelope)
    try:
        found = _ENVELOPE.decode(envelope)
        return Envelope(KeyRef(found.s, found.k), base64.b64decode(found.c), False)
    except (msgspec.DecodeError, ValueError) as exc:
        raise SealError(f"not a sealed value: {exc}") from None


def _read_binary(envelope: bytes) -> Envelope:
    try:
        (subject_length,) = struct.unpack_from(">H", envelope, 1)
        subject_end = 3 + subject_length
        key_id_end = subject_end + 1 + envelope[subject_end]
        subject, key_id = envelope[3:subject_end].decode(), envelope[subject_end + 1 : key_id_end].decode()
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise SealError(f"not a sealed value: a binary envelope's header is cut short or not UTF-8 ({exc})") from None
    if len(envelope) < key_id_end + _NONCE + 16 or not subject or not key_id:
        raise SealError("not a sealed value: a binary envelope with no subject, key id, nonce or tag")
    return Envelope(KeyRef(subject, key_id), envelope[key_id_end:], True)


def json_envelope(envelope: bytes) -> bytes:
    """``envelope`` as a JSON value, to carry inside a JSON record (a quarantined
    event): a row's envelope as it is, a binary one as a base64 string."""
    if envelope[:1] == b"\x01":
        return b'"' + base64.b64encode(envelope) + b'"'
    return envelope


def from_json_envelope(value: bytes) -> bytes:
    """The envelope ``json_envelope`` gave ``value`` of; SealError if it is none."""
    if value[:1] == b'"':
        try:
            return base64.b64decode(msgspec.json.decode(value, type=str), validate=True)
        except (msgspec.DecodeError, ValueError) as exc:
            raise SealError(f"not a sealed value: {exc}") from None
    return value


def _aad(ref: KeyRef) -> bytes:
    return f"{ref.subject}\x00{ref.key_id}".encode()
