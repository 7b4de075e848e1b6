"""Personal data in columns: a classification suggested on a column's first sight.

`YELLOW` columns hold data that identifies a person (email, phone, IP address);
`RED` columns hold what must never be stored in clear (credit-card numbers, national
ids, passwords, tokens, secrets). As Segment's Privacy Portal does, the column's key
decides first: the last key of the path, lowercased with separators dropped, matched
against names whose meaning is plain. Values decide only where a pattern is precise
(an email address, an IP address, a Luhn-valid card number, an E.164 phone number):
a value never makes a column RED on a guess. A team confirms or overrides the
suggestion (`setColumnClassification`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from registry.errors import InvalidPathError
from registry.paths import ARRAY_STEP, child_path, escape_key, split_path


class PiiClassification(str, Enum):
    NONE = "NONE"
    YELLOW = "YELLOW"
    RED = "RED"


@dataclass(frozen=True, slots=True)
class PiiSuggestion:
    """A classification and the kind of data that made it (None for NONE)."""

    classification: PiiClassification
    kind: str | None = None


NOT_PERSONAL: Final = PiiSuggestion(PiiClassification.NONE)

_RED: Final = PiiClassification.RED
_YELLOW: Final = PiiClassification.YELLOW

# Normalised key (lowercase, no "_", "-", "." or spaces) -> (classification, kind).
_KEYS: Final[dict[str, tuple[PiiClassification, str]]] = {
    **{k: (_RED, "password") for k in ("password", "passwd", "pwd", "passcode", "passphrase")},
    **{
        k: (_RED, "secret")
        for k in ("secret", "clientsecret", "secretkey", "privatekey", "apisecret", "signingkey")
    },
    **{
        k: (_RED, "token")
        for k in (
            "token",
            "accesstoken",
            "authtoken",
            "refreshtoken",
            "idtoken",
            "bearertoken",
            "sessiontoken",
            "apikey",
            "apitoken",
            "authorization",
        )
    },
    **{
        k: (_RED, "credit_card")
        for k in ("creditcard", "creditcardnumber", "cardnumber", "ccnumber", "ccnum", "pan", "cvv", "cvc", "cvv2")
    },
    **{
        k: (_RED, "national_id")
        for k in (
            "ssn",
            "socialsecuritynumber",
            "nationalid",
            "nationalidnumber",
            "nationalinsurancenumber",
            "nino",
            "taxid",
            "tin",
            "passportnumber",
            "passport",
            "driverslicense",
            "driverslicensenumber",
        )
    },
    **{k: (_YELLOW, "email") for k in ("email", "emailaddress", "mail", "emailid")},
    **{
        k: (_YELLOW, "phone")
        for k in ("phone", "phonenumber", "mobile", "mobilenumber", "mobilephone", "telephone", "tel", "cellphone")
    },
    **{k: (_YELLOW, "ip_address") for k in ("ip", "ipaddress", "ipv4", "ipv6", "remoteip", "clientip", "userip")},
}

_SEPARATORS: Final = re.compile(r"[_\-\s.]")
_EMAIL: Final = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_PHONE: Final = re.compile(r"\+[1-9][0-9]{7,14}")
_CARD: Final = re.compile(r"[0-9](?:[ \-]?[0-9]){12,18}")


def classify_path(path: str) -> PiiSuggestion:
    """What the column's own key says (the last key of `path`; NONE if it says nothing)."""
    try:
        segments = [s for s in split_path(path) if s != ARRAY_STEP]
    except InvalidPathError:
        return NOT_PERSONAL
    if not segments:
        return NOT_PERSONAL
    found = _KEYS.get(_SEPARATORS.sub("", segments[-1].lower()))
    return NOT_PERSONAL if found is None else PiiSuggestion(*found)


def classify_value(value: object) -> PiiSuggestion:
    """What a value says where its pattern is precise (NONE otherwise)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or len(value) > 64:
        return NOT_PERSONAL
    text = value.strip()
    if _EMAIL.fullmatch(text):
        return PiiSuggestion(_YELLOW, "email")
    if _CARD.fullmatch(text) and _luhn(re.sub(r"[ \-]", "", text)):
        return PiiSuggestion(_RED, "credit_card")
    if _PHONE.fullmatch(text):
        return PiiSuggestion(_YELLOW, "phone")
    if _is_ip(text):
        return PiiSuggestion(_YELLOW, "ip_address")
    return NOT_PERSONAL


def classify(path: str, values: Iterable[object] = ()) -> PiiSuggestion:
    """The column's key first; then the first of `values` a precise pattern matches."""
    by_key = classify_path(path)
    if by_key.classification is not PiiClassification.NONE:
        return by_key
    for value in values:
        by_value = classify_value(value)
        if by_value.classification is not PiiClassification.NONE:
            return by_value
    return NOT_PERSONAL


def string_values(sections: Mapping[str, Any], paths: Iterable[str]) -> dict[str, list[object]]:
    """The scalar values an event holds at each of `paths` (columns as `registry.infer`
    names them), for `classify`; paths the event does not hold are left out."""
    wanted = set(paths)
    found: dict[str, list[object]] = {}
    for path, value in _scalars(sections, ""):
        if path in wanted:
            found.setdefault(path, []).append(value)
    return found


REDACTED: Final = "[redacted]"


def redact(sections: Mapping[str, Any], paths: frozenset[str] | set[str]) -> dict[str, Any]:
    """A copy of `sections` (``{"properties": {...}, ...}``) with the value at each of
    `paths` (columns as `registry.infer` names them: a RED column's) replaced by
    ``REDACTED``, in every item of the arrays along the way."""
    if not paths:
        return dict(sections)
    redacted = _redacted(sections, "", paths)
    assert isinstance(redacted, dict)
    return redacted


def _redacted(value: object, path: str, paths: frozenset[str] | set[str]) -> object:
    if path in paths:
        return REDACTED
    if isinstance(value, Mapping):
        return {
            key: _redacted(child, child_path(path, escape_key(key)), paths) if isinstance(key, str) else child
            for key, child in value.items()
        }
    if isinstance(value, list):
        return [_redacted(item, path + ARRAY_STEP, paths) for item in value]
    return value


def _scalars(value: object, path: str) -> Iterable[tuple[str, object]]:
    if isinstance(value, Mapping):
        for key, child in value.items():
            if isinstance(key, str):
                yield from _scalars(child, child_path(path, escape_key(key)))
    elif isinstance(value, list):
        for item in value:
            yield from _scalars(item, path + ARRAY_STEP)
    elif isinstance(value, str | int) and not isinstance(value, bool):
        yield path, value


def _luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = ord(c) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _is_ip(text: str) -> bool:
    if not (7 <= len(text) <= 45) or not any(c in text for c in ".:"):
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
