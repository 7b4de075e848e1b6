"""The other nodes, as this one reads from them: batched reads over ``/internal/read``.

The reads a request makes of one node in one turn of the event loop go in one HTTP
request (Strawberry's ``DataLoader``, without its cache: rows change); a connection
to each node is kept open.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import aiohttp
from strawberry.dataloader import DataLoader

from streams.cluster.ops import Answer, Read, decode_answers, encode_batch

logger = logging.getLogger(__name__)

PATH = "/internal/read"
CONTENT_TYPE = "application/msgpack"


class PeerUnreachableError(Exception):
    """A node did not answer a read (down, or not serving HTTP): its reads wait for a
    new owner."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url} did not answer: {reason}")
        self.url = url
        self.reason = reason


class Peers:
    def __init__(self, token: str, timeout: float) -> None:
        self._authorization = f"Bearer {token}"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._loaders: dict[str, DataLoader[Read, Answer]] = {}

    async def read(self, url: str, reads: Sequence[Read]) -> list[Answer]:
        """``reads`` answered by the node at ``url``; PeerUnreachableError when it does not answer."""
        loader = self._loaders.get(url)
        if loader is None:
            loader = self._loaders[url] = DataLoader(lambda batch: self._post(url, batch), cache=False)
        return await loader.load_many(reads)

    async def _post(self, url: str, reads: list[Read]) -> list[Answer]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        headers = {"authorization": self._authorization, "content-type": CONTENT_TYPE}
        try:
            async with self._session.post(url.rstrip("/") + PATH, data=encode_batch(reads), headers=headers) as response:
                body = await response.read()
                if response.status != 200:
                    # A 401 here is a cluster whose nodes do not share TRACKLOG_INTERNAL_TOKEN
                    # (or TRACKLOG_SECRET): say so where the operator looks.
                    logger.warning("%s%s answered HTTP %s: %r", url, PATH, response.status, body[:200])
                    raise PeerUnreachableError(url, f"HTTP {response.status}: {body[:200]!r}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise PeerUnreachableError(url, repr(exc)) from exc
        answers = decode_answers(body)
        if len(answers) != len(reads):
            raise PeerUnreachableError(url, f"{len(answers)} answers to {len(reads)} reads")
        return answers

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
