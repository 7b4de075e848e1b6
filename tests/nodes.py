"""Running Tracklog as a user does: the ``tracklog`` CLI as a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from streams.ops.broker import free_port
from tests.keys import TEST_SECRET
from tests.waiting import wait_until

TRACKLOG = str(Path(sys.executable).with_name("tracklog"))


@dataclass
class NodeProcess:
    """A ``tracklog`` subprocess serving HTTP on a free loopback port."""

    command: str
    data_dir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    # The ``tracklog`` to run: this checkout's, or another's (bench.against).
    executable: str = TRACKLOG
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"{self.command}.log"

    def start(self, *, ready_timeout: float = 90.0) -> NodeProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "TRACKLOG_SECRET": TEST_SECRET,
            "TRACKLOG_HTTP_PORT": str(self.port),
            "TRACKLOG_DATA_DIR": str(self.data_dir),
            **self.env,
        }
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self.executable, self.command], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        wait_until(self._ready, timeout=ready_timeout, what=f"{self.command} to be ready")
        return self

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(
                f"tracklog {self.command} exited with {self.process.returncode}:\n{self.log_tail()}"
            )
        try:
            return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40.0) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"tracklog {self.command} did not stop:\n{self.log_tail()}")
        return self.process.returncode

    @property
    def auth_headers(self) -> dict[str, str]:
        """The bearer token GraphQL requires of this node (none in dev)."""
        token = self.env.get("TRACKLOG_API_TOKENS", "").split(",")[0]
        return {"authorization": f"Bearer {token}"} if token else {}

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables},
            headers=self.auth_headers,
            timeout=10,
        )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def post(self, path: str, body: Any, *, key: str = "test-key", **kwargs: Any) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", json=body, auth=(key, ""), timeout=30, **kwargs)


def fresh_prefix() -> str:
    """A topic prefix (and Faust app id) no other test uses."""
    return f"t{uuid.uuid4().hex[:12]}"
