"""Every tier: the secret nodes make pseudonyms with (``TRACKLOG_SECRET``).

Outside dev a node refuses to start without one, and every node of a cluster (and
every tool reading its topics) needs the same: tests and the nodes they start inherit
this one from the environment.
"""

from __future__ import annotations

import os

from tests.keys import TEST_SECRET

os.environ.setdefault("TRACKLOG_SECRET", TEST_SECRET)
