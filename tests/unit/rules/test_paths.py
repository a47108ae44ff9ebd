from __future__ import annotations

import pytest

from webhook_to_track.rules.paths import MISSING, PathError, parse_path

DOC = {"a": {"b": [{"c": 1}, {"c": 2}], "odd.key": "x", "n": None}, "": "empty-key"}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("a.b[0].c", 1),
        ("$.a.b[1].c", 2),
        ("a.b[-1].c", 2),
        ("a['odd.key']", "x"),
        ("a.n", None),
        ("$", DOC),
        ("a.b[2].c", MISSING),
        ("a.b.c", MISSING),
        ("a.missing", MISSING),
        ("a.n.deeper", MISSING),
        ("a.b[0].c.d", MISSING),
    ],
)
def test_get(path, value):
    assert parse_path(path).get(DOC) == value


def test_missing_is_falsy_and_not_none():
    assert not MISSING
    assert MISSING is not None
    assert repr(MISSING) == "MISSING"


@pytest.mark.parametrize(
    "path", ["", "  ", "a..b", "a[x]", "a[0]b", "a b", "['unclosed", 5, "a." + "b." * 40]
)
def test_bad_paths_are_refused_with_a_reason(path):
    with pytest.raises(PathError):
        parse_path(path)
