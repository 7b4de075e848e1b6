"""The error tree, the messages the HTTP edge shows, and the JSON error bodies."""

import pickle

import pytest

from schemas import InvalidEventError, PayloadTooLargeError, SchemaError, TracklogError


def test_tree() -> None:
    assert issubclass(SchemaError, TracklogError)
    assert issubclass(InvalidEventError, SchemaError)
    assert issubclass(PayloadTooLargeError, SchemaError)


@pytest.mark.parametrize(
    ("index", "path", "message"),
    [
        (3, "timestamp", "batch[3].timestamp: not an RFC 3339 date-time"),
        (None, "timestamp", "timestamp: not an RFC 3339 date-time"),
        (0, "", "batch[0]: not an RFC 3339 date-time"),
        (None, "", "not an RFC 3339 date-time"),
    ],
)
def test_invalid_event_message(index: int | None, path: str, message: str) -> None:
    e = InvalidEventError(index, path, "not an RFC 3339 date-time")
    assert (e.index, e.path, e.reason) == (index, path, "not an RFC 3339 date-time")
    assert str(e) == message


def test_invalid_event_body() -> None:
    e = InvalidEventError(3, "timestamp", "not an RFC 3339 date-time")
    assert e.to_dict() == {
        "error": "invalid_event",
        "message": "batch[3].timestamp: not an RFC 3339 date-time",
        "index": 3,
        "field": "timestamp",
    }
    assert InvalidEventError(3, "", "expected a JSON object").to_dict()["field"] is None


def test_payload_too_large() -> None:
    e = PayloadTooLargeError(2, 40_000, 32_768)
    assert (e.index, e.size, e.limit) == (2, 40_000, 32_768)
    assert str(e) == "batch[2] is 40000 bytes, over the 32768-byte limit"
    assert e.to_dict() == {
        "error": "payload_too_large",
        "message": str(e),
        "index": 2,
        "field": None,
    }
    assert str(PayloadTooLargeError(None, 600_000, 512_000)) == (
        "payload is 600000 bytes, over the 512000-byte limit"
    )


@pytest.mark.parametrize(
    "error",
    [InvalidEventError(1, "userId", "required"), PayloadTooLargeError(None, 9, 8)],
)
def test_errors_pickle(error: SchemaError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy.to_dict() == error.to_dict()
