"""replace_text: the old file stays whole when the new text cannot be written."""

from __future__ import annotations

import pytest

from webhook_to_track.local.files import replace_text


def test_it_writes_the_text_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "env.json"

    replace_text(path, "{}\n")

    assert path.read_text("utf-8") == "{}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["env.json"]


def test_a_write_that_fails_leaves_the_old_file_as_it_was(tmp_path):
    path = tmp_path / "env.json"
    path.write_text('{"old": true}\n', "utf-8")

    with pytest.raises(UnicodeEncodeError):
        replace_text(path, "\udcff")  # a lone surrogate: not encodable, like a disk error midway

    assert path.read_text("utf-8") == '{"old": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["env.json"]
