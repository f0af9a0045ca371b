"""Property-based checks: whatever documents and questions arrive, nothing crashes and every
reply fits WeChat's limit."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.qa.answer import compose_answer
from bot.wechat.limits import MAX_REPLY_BYTES
from knowledge import KnowledgeError, build_knowledge_base
from knowledge.passages import split_sentences
from knowledge.repair import repair_text

# Text shaped like extracted reports: Hanzi (including the look-alike glyphs the repair
# looks for), punctuation of both widths, Latin words, digits, line breaks and blank lines.
_HANZI = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
_PIECES = st.one_of(
    _HANZI,
    st.sampled_from(list("尧袁遥野冶叶曳渊冤院窑，。、“”《》（）：·！？；")),
    st.sampled_from(["\n", "\n\n", " ", "-\n\n", "Inno-", "vation", "2017 年", "2.0"]),
    st.characters(codec="utf-8"),
)
REPORTISH = st.lists(_PIECES, max_size=400).map("".join)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(REPORTISH)
def test_repair_never_crashes_and_yields_only_real_blocks(text):
    result = repair_text(text)
    assert all(block.text.strip() for block in result.blocks)
    repair_text(result.text)  # repaired text goes through again without error


@SETTINGS
@given(REPORTISH)
def test_sentences_lose_no_text(text):
    def squash(s: str) -> str:
        return "".join(s.split())

    assert squash("".join(split_sentences(text))) == squash(text)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    documents=st.lists(REPORTISH, min_size=1, max_size=3), suffix=st.sampled_from([".txt", ".md"])
)
def test_any_folder_builds_or_is_refused_with_a_reason(tmp_path_factory, documents, suffix):
    folder: Path = tmp_path_factory.mktemp("kb")
    for i, text in enumerate(documents):
        (folder / f"doc{i}{suffix}").write_text(text, encoding="utf-8")
    try:
        kb = build_knowledge_base(folder)
    except KnowledgeError as exc:
        assert exc.reason
        return
    for passage in kb.passages:
        assert passage.text.strip()
    answer = compose_answer(kb, documents[0][:30] or "论坛")
    assert len(answer.text.encode("utf-8")) <= MAX_REPLY_BYTES


@SETTINGS
@given(st.text(max_size=3000))
def test_any_question_gets_a_reply_within_the_byte_limit(kb, question):
    answer = compose_answer(kb, question)
    assert answer.text
    assert len(answer.text.encode("utf-8")) <= MAX_REPLY_BYTES
    assert answer.answered == ("出处" in answer.text)
