"""Cache keys: one mechanism, derived from inputs, options and the stage's own code."""

from __future__ import annotations

from clipguard.keys import code_version, sha256_file, stage_key


def test_stage_key_is_stable_and_order_sensitive():
    assert stage_key("a", {"x": 1, "y": 2}) == stage_key("a", {"y": 2, "x": 1})
    assert stage_key("a", "b") != stage_key("b", "a")


def test_code_version_follows_the_source(tmp_path, monkeypatch):
    pkg = tmp_path / "cg_probe_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "stage.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = code_version("cg_probe_pkg")
    assert before == code_version("cg_probe_pkg")  # identical code, identical key
    (pkg / "stage.py").write_text("X = 2\n")
    code_version.cache_clear()
    assert code_version("cg_probe_pkg") != before  # nobody had to bump a constant


def test_one_file_hash(tmp_path):
    f = tmp_path / "a.srt"
    f.write_text("1\n")
    import hashlib

    assert sha256_file(f) == hashlib.sha256(b"1\n").hexdigest()
