"""The embedded broker's pure parts."""

from __future__ import annotations

import base64

from streams.ops.broker import new_cluster_id


def test_cluster_ids_are_16_bytes_and_never_look_like_an_option() -> None:
    ids = [new_cluster_id() for _ in range(2000)]
    assert all(not cluster_id.startswith("-") for cluster_id in ids)
    assert all(len(base64.urlsafe_b64decode(cluster_id + "==")) == 16 for cluster_id in ids)
    assert len(set(ids)) == len(ids)
