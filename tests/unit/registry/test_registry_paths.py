"""registry.paths: escaping never mangles a key, and split inverts join."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.errors import InvalidPathError
from registry.paths import ARRAY_STEP, escape_key, join_path, split_escaped, split_path, unescape_key

# Keys drawn from the characters that need escaping, plus anything unicode.
keys = st.text(alphabet=st.sampled_from(list(".[]\\_a")), max_size=4) | st.text(max_size=6)
segments = st.lists(keys | st.just(ARRAY_STEP), max_size=6)


@pytest.mark.parametrize(
    ("key", "escaped"),
    [
        ("plan", "plan"),
        ("a.b", "a\\.b"),
        ("x[0]", "x\\[0\\]"),
        ("back\\slash", "back\\\\slash"),
        ("", "\\_"),
        ("\\_", "\\\\_"),
        ("_", "_"),
        ("café ✓", "café ✓"),
    ],
)
def test_escape_key(key: str, escaped: str) -> None:
    assert escape_key(key) == escaped
    assert unescape_key(escaped) == key


@pytest.mark.parametrize(
    ("segs", "path"),
    [
        (["properties", "plan"], "properties.plan"),
        (["context", "device", "type"], "context.device.type"),
        (["properties", "items", "[]", "sku"], "properties.items[].sku"),
        (["properties", "tags", "[]"], "properties.tags[]"),
        (["properties", "m", "[]", "[]"], "properties.m[][]"),
        (["properties", "a.b", ""], "properties.a\\.b.\\_"),
        (["[]", "a"], "[].a"),
        ([], ""),
    ],
)
def test_join_and_split_examples(segs: list[str], path: str) -> None:
    assert join_path(segs) == path
    assert split_path(path) == segs


@given(segments)
def test_split_inverts_join(segs: list[str]) -> None:
    assert split_path(join_path(segs)) == segs


@given(segments, segments)
def test_distinct_segment_lists_get_distinct_paths(a: list[str], b: list[str]) -> None:
    if a != b:
        assert join_path(a) != join_path(b)


def test_escaped_segments_tell_a_key_named_brackets_from_an_array_step() -> None:
    path = "p." + escape_key("[]") + "[]"
    assert split_escaped(path) == ["p", "\\[\\]", "[]"]
    assert unescape_key(split_escaped(path)[1]) == "[]"


@pytest.mark.parametrize(
    "path",
    ["a.", ".a", "a..b", "a[", "a[x]", "a]", "a[]b", "a\\", "a\\x", "\\_x", "a\\_", "a.[]"],
)
def test_malformed_paths_are_rejected_with_a_position(path: str) -> None:
    with pytest.raises(InvalidPathError) as info:
        split_path(path)
    assert info.value.path == path
    assert 0 <= info.value.position <= len(path)
