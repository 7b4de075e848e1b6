"""``/internal/read``: the reads other nodes forward to this one.

Only nodes of the cluster may call it: a request must carry the internal token
(``TRACKLOG_INTERNAL_TOKEN``) as a bearer token, or it is refused with 401. Each read
of a partition this node does not serve is answered "not held", so the caller waits
for the partition's new owner rather than take an empty answer for a true one.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from streams.adapters.rocksdict import DB
from streams.cluster.ops import Read, decode_batch, encode_answers, execute_all
from streams.cluster.peers import CONTENT_TYPE, PATH


def internal_read_route(local: Callable[[Read], tuple[DB, bytes | None] | None], token: str) -> Route:
    """The route; ``local``: a read's partition database here (``Cluster.local``), or None."""
    expected = f"Bearer {token}".encode()

    async def read(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return JSONResponse(
                {"error": "unauthorized", "message": "internal reads need the cluster's internal token"},
                status_code=401,
            )
        try:
            reads = decode_batch(await request.body())
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return JSONResponse({"error": "invalid", "message": f"not a batch of reads: {exc}"}, status_code=400)
        return Response(encode_answers(execute_all(reads, local)), media_type=CONTENT_TYPE)

    return Route(PATH, read, methods=["POST"])
