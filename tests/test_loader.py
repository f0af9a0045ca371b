"""The loader reads UTF-8 (and, with a warning, GB18030) and names any file it cannot read."""

from __future__ import annotations

import logging
import os

import pytest

from knowledge import KnowledgeError, build_knowledge_base
from knowledge.loader import hidden_sources, list_sources, load_document, parse_front_matter
from tests.conftest import REPORT

TEXT = "第十一届中国电子政务高峰论坛在北京大学中关新园隆重举行。杨学山发表了主题演讲。\n"


def test_the_report_loads_as_plain_text():
    document = load_document(REPORT)
    assert document.title == "第十一届中国电子政务高峰论坛报道"
    assert document.format == "text"
    assert document.notes == ()
    assert document.text == REPORT.read_text(encoding="utf-8")


def test_utf8_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.replace("\n", "\r\n").encode("utf-8"))
    document = load_document(path)
    assert document.text == TEXT
    assert document.notes == ()


def test_gb18030_is_decoded_with_a_warning_naming_the_file(tmp_path, caplog):
    path = tmp_path / "旧报道.txt"
    path.write_bytes(TEXT.encode("gb18030"))
    with caplog.at_level(logging.WARNING, logger="knowledge.loader"):
        document = load_document(path)
    assert document.text == TEXT
    assert any("GB18030" in note for note in document.notes)
    assert "旧报道.txt" in caplog.text and "GB18030" in caplog.text


def test_gb18030_warning_reaches_the_knowledge_base(tmp_path):
    (tmp_path / "旧报道.txt").write_bytes(TEXT.encode("gb18030"))
    kb = build_knowledge_base(tmp_path)
    assert any(w.startswith("旧报道.txt: decoded as GB18030") for w in kb.warnings)
    assert [p.text for p in kb.passages] == [TEXT.strip()]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param(b"abc \xfa\x80\xff broken", "neither UTF-8", id="neither-encoding"),
        pytest.param("报道".encode("utf-16"), "UTF-16", id="utf-16"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "NUL", id="binary"),
    ],
)
def test_undecodable_files_are_refused_by_name(tmp_path, raw, reason):
    path = tmp_path / "坏文件.txt"
    path.write_bytes(raw)
    with pytest.raises(KnowledgeError) as error:
        load_document(path)
    assert error.value.path == "坏文件.txt"
    assert reason in error.value.reason
    assert "坏文件.txt" in str(error.value)


def test_an_unreadable_file_is_refused_by_name(tmp_path):
    missing = tmp_path / "gone.txt"
    with pytest.raises(KnowledgeError) as error:
        load_document(missing)
    assert error.value.path == "gone.txt"
    assert "cannot read" in error.value.reason
    folder = tmp_path / "folder.md"
    folder.mkdir()
    with pytest.raises(KnowledgeError, match=r"folder\.md"):
        load_document(folder)


def test_a_bad_file_fails_the_whole_build_with_its_name(tmp_path):
    (tmp_path / "good.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xff\xff")
    with pytest.raises(KnowledgeError, match=r"bad\.txt"):
        build_knowledge_base(tmp_path)


def test_only_text_and_markdown_files_are_sources(tmp_path):
    for name in ("a.txt", "b.MD", "c.pdf", "d.json"):
        (tmp_path / name).write_text(TEXT, encoding="utf-8")
    assert [p.name for p in list_sources(tmp_path)] == ["a.txt", "b.MD"]
    with pytest.raises(KnowledgeError, match="does not exist"):
        list_sources(tmp_path / "nowhere")


def test_hidden_files_and_editor_leftovers_are_skipped_and_named(tmp_path):
    for name in ("a.txt", ".hidden.txt", ".notes.md", "a.txt~", ".a.txt.swp", "a.txt.bak"):
        (tmp_path / name).write_text(TEXT, encoding="utf-8")
    (tmp_path / ".#a.txt").symlink_to("user@host.1234:1700000000")  # emacs' lock: leads nowhere
    assert [p.name for p in list_sources(tmp_path)] == ["a.txt"]
    assert hidden_sources(tmp_path) == [".#a.txt", ".hidden.txt", ".notes.md"]
    kb = build_knowledge_base(tmp_path)
    assert [d.name for d in kb.documents] == ["a.txt"]
    assert ".hidden.txt: skipped, a hidden file" in kb.warnings


def test_markdown_front_matter_sets_title_and_meta(tmp_path):
    path = tmp_path / "interview.md"
    path.write_text(
        '---\ntitle: "专家访谈"\nsource: 示例期刊\ndate: 2017-06-20\n---\n# 背景\n\n正文。\n',
        encoding="utf-8",
    )
    document = load_document(path)
    assert document.format == "markdown"
    assert document.title == "专家访谈"
    assert document.meta == {"title": "专家访谈", "source": "示例期刊", "date": "2017-06-20"}
    assert document.text == "# 背景\n\n正文。\n"


def test_markdown_without_front_matter_is_titled_by_its_stem(tmp_path):
    path = tmp_path / "会议纪要.md"
    path.write_text("# 会议纪要\n\n---\n\n正文。\n", encoding="utf-8")
    document = load_document(path)
    assert document.title == "会议纪要"
    assert document.meta == {}
    assert document.text.startswith("# 会议纪要")


def test_front_matter_must_open_the_file():
    text = "正文\n---\ntitle: x\n---\n"
    assert parse_front_matter(text) == ({}, text)


# -- what a careless admin can put in the folder (each refused at once, by name) ---------------
def _refusal(folder, max_bytes=None) -> KnowledgeError:
    with pytest.raises(KnowledgeError) as error:
        list_sources(folder, max_bytes)
    return error.value


def test_a_link_to_a_file_outside_the_folder_is_refused(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "passwd.txt").symlink_to("/etc/passwd")
    refused = _refusal(tmp_path)
    assert refused.path == "passwd.txt" and "outside the knowledge folder" in refused.reason


def test_a_link_into_proc_is_refused(tmp_path):
    (tmp_path / "status.txt").symlink_to("/proc/self/status")
    assert "outside" in _refusal(tmp_path).reason


def test_a_link_inside_the_folder_is_a_document(tmp_path):
    (tmp_path / "real.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "alias.txt").symlink_to(tmp_path / "real.txt")
    assert [p.name for p in list_sources(tmp_path)] == ["alias.txt", "real.txt"]


def test_a_directory_named_like_a_document_is_refused(tmp_path):
    (tmp_path / "sub.txt").mkdir()
    refused = _refusal(tmp_path)
    assert refused.path == "sub.txt" and "directory" in refused.reason


def test_a_fifo_is_refused_without_being_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")  # opening it would block the build for ever
    refused = _refusal(tmp_path)
    assert refused.path == "pipe.txt" and "FIFO" in refused.reason


def test_a_document_over_the_size_limit_is_refused_naming_the_limit(tmp_path):
    (tmp_path / "big.txt").write_bytes(b"a" * 2048)
    refused = _refusal(tmp_path, max_bytes=1024)
    assert refused.path == "big.txt" and "BOT_MAX_DOCUMENT_MB" in refused.reason
    assert [p.name for p in list_sources(tmp_path, max_bytes=4096)] == ["big.txt"]


def test_an_office_lock_file_is_skipped_like_a_hidden_file(tmp_path):
    from knowledge.loader import hidden_sources, list_sources

    (tmp_path / "notes.txt").write_text("正文。", "utf-8")
    (tmp_path / "~$notes.txt").write_text("锁", "utf-8")
    assert [p.name for p in list_sources(tmp_path)] == ["notes.txt"]
    assert hidden_sources(tmp_path) == ["~$notes.txt"]
