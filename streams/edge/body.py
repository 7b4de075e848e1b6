"""Reading an ingestion request's body: its size bounded before and after gzip."""

from __future__ import annotations

import zlib

from starlette.requests import Request

from schemas import InvalidEventError, Limits, PayloadTooLargeError, check_request_size


async def read_body(request: Request, limits: Limits) -> bytes:
    """The request's body, un-gzipped, refused past ``limits.max_request_bytes`` either way."""
    limit = limits.max_request_bytes
    declared = request.headers.get("content-length")
    # isascii too: '²'.isdigit() is true, and int('²') fails. The stream is
    # measured below anyway; a declared length only refuses a large body early.
    if declared is not None and declared.isascii() and declared.isdigit():
        check_request_size(int(declared), limits)
    encoding = request.headers.get("content-encoding", "").strip().lower()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(None, size, limit)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if encoding == "gzip":
        raw = gunzip(raw, limit)
    elif encoding not in ("", "identity"):
        raise InvalidEventError(None, "Content-Encoding", f"unsupported encoding {encoding!r}")
    return raw


def gunzip(raw: bytes, limit: int) -> bytes:
    """Gzip's members (RFC 1952 allows several) decompressed, never past ``limit`` bytes."""
    out = bytearray()
    rest = raw
    while True:
        decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        try:
            # At most one byte past the limit, so a bomb stops here (0 would mean no limit).
            out += decompressor.decompress(rest, limit + 1 - len(out))
        except zlib.error as exc:
            raise InvalidEventError(None, "body", f"invalid gzip data: {exc}") from None
        if len(out) > limit:
            raise PayloadTooLargeError(None, len(out), limit)
        if not decompressor.eof:
            raise InvalidEventError(None, "body", "invalid gzip data: truncated")
        rest = decompressor.unused_data
        if not rest:
            return bytes(out)
