"""A restart or a reload of unchanged sources reads the built knowledge base from disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from knowledge import build_knowledge_base
from knowledge.cache import BuildCache


def _entries(cache: Path) -> list[Path]:
    return [p for p in cache.iterdir() if not p.name.startswith(".")]


def test_a_cached_build_is_the_same_knowledge_base(tmp_path, folder):
    cache = tmp_path / "cache"
    fresh = build_knowledge_base(folder, cache)
    assert len(_entries(cache)) == 1
    cached = build_knowledge_base(folder, cache)
    assert cached.passages == fresh.passages
    assert cached.version == fresh.version and cached.warnings == fresh.warnings
    for question in ("杨学山讲了什么", "论坛在哪里举行", "智慧城管"):
        assert cached.search(question, 5) == fresh.search(question, 5)
    query = fresh.tokenizer.tokenize("新型智慧城市 创新")
    assert np.array_equal(cached.index.scores(query), fresh.index.scores(query))


def test_an_edited_document_is_built_afresh(tmp_path, folder):
    cache = tmp_path / "cache"
    before = build_knowledge_base(folder, cache)
    (folder / "补充.md").write_text("# 会议议程\n\n上午九点开幕，下午五点闭幕。\n", "utf-8")
    after = build_knowledge_base(folder, cache)
    assert after.version != before.version
    assert len(after.passages) > len(before.passages)
    assert after.search("几点开幕", 1)[0][0].source == "补充.md"
    assert len(_entries(cache)) == 2


def test_a_damaged_entry_is_rebuilt(tmp_path, folder, caplog):
    cache = tmp_path / "cache"
    fresh = build_knowledge_base(folder, cache)
    (entry,) = _entries(cache)
    (entry / "index.npz").write_bytes(b"not an index")
    rebuilt = build_knowledge_base(folder, cache)
    assert rebuilt.passages == fresh.passages
    assert "damaged knowledge cache entry" in caplog.text
    assert (entry / "index.npz").read_bytes() != b"not an index"


def test_old_entries_are_pruned(tmp_path, folder):
    cache = tmp_path / "cache"
    for n in range(5):
        (folder / "extra.md").write_text(f"# 附录\n\n第{n}号附录的内容。\n", "utf-8")
        build_knowledge_base(folder, cache)
    assert len(_entries(cache)) == BuildCache(cache).keep


def test_an_unwritable_cache_only_costs_time(tmp_path, folder, caplog):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    kb = build_knowledge_base(folder, blocker)
    assert kb.passages and "cannot write the knowledge cache" in caplog.text


def test_a_large_build_tokenizes_on_every_core_with_the_same_result(monkeypatch):
    import knowledge.base as base
    from knowledge.tokenizer import Tokenizer

    tokenizer = Tokenizer(["杨学山"])
    texts = [f"杨学山在第{n}届论坛上谈新型智慧城市建设。" for n in range(300)]
    serial = base.tokenize_all(tokenizer, texts)
    monkeypatch.setattr(base, "PARALLEL_FROM", 10)
    monkeypatch.setattr(base.os, "cpu_count", lambda: 2)
    assert base.tokenize_all(tokenizer, texts) == serial
