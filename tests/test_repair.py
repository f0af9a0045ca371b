"""Repair undoes what PDF extraction did to the forum report, and leaves clean text alone."""

from __future__ import annotations

import re

import jieba
import pytest

from knowledge.repair import CHINESE_PUNCTUATION, PAIRS, SHIFTED, repair_text
from tests.conftest import REPORT

RAW = REPORT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def repaired():
    return repair_text(RAW)


def test_the_look_alike_table_follows_from_the_row_shift():
    expected = {
        "尧": "、",
        "袁": "，",
        "遥": "。",
        "野": "“",
        "冶": "”",
        "叶": "《",
        "曳": "》",
        "渊": "（",
        "冤": "）",
        "院": "：",
        "窑": "·",
    }
    assert {glyph: SHIFTED[glyph] for glyph in expected} == expected
    assert PAIRS["《"] == "》" and PAIRS["“"] == "”" and PAIRS["（"] == "）"
    # Cells of the punctuation rows that are not Chinese punctuation are not candidates:
    # 原 would be the full-width hyphen, 元 the full-width asterisk.
    assert "原" not in SHIFTED and "元" not in SHIFTED


def test_the_raw_report_in_the_repo_is_the_untouched_seed():
    assert "叶办公自动化曳" in RAW and "对话研讨院新技术" in RAW


@pytest.mark.parametrize(
    "fragment",
    [
        pytest.param("《办公自动化》杂志与移动政务实验室（mGov Lab China）", id="brackets"),
        pytest.param("用户创新、开放创新、大众创新、协同创新", id="enumeration-commas"),
        pytest.param("北京大学兼职教授、原工业和信息化部副部长杨学山", id="caption-comma"),
        pytest.param("对话研讨：新技术与创新服务", id="colon"),
        pytest.param("互联网+·创新 2.0", id="middle-dot"),
        pytest.param("City as an Open Mass Innovation Space", id="de-hyphenation"),
        pytest.param("通过感知、分析、服务、指挥、监察“五位一体”智慧城管建设", id="split-sentence"),
        pytest.param("“下一代创新研究”微信公众号联合推出。", id="quotes-and-full-stop"),
        pytest.param("题为《城域开放众创空间：新型智慧城市建设新路径》", id="space-before-bracket"),
    ],
)
def test_repaired_report_reads_correctly(repaired, fragment):
    assert fragment in repaired.text


def test_legitimate_yuan_is_kept_and_shifted_glyphs_are_gone(repaired):
    text = repaired.text
    assert "清华大学国家治理研究院执行院长" in text
    assert "CIO 时代学院院长、中国新一代 IT 产业推进联盟秘书长姚乐" in text
    assert not re.search(r"研究：|：长|学：", text)
    # Every 院 left is part of a word (研究院, 院长, 学院 ...); none stands for a colon.
    for paragraph in text.split("\n\n"):
        assert all(len(w) > 1 for w in jieba.lcut(paragraph, HMM=False) if "院" in w), paragraph
    # The report has no legitimate use of these look-alikes, so none may remain.
    assert not set("尧袁遥野冶叶曳渊冤窑") & set(text)


def test_damaged_blocks_have_no_shifted_glyph_left(repaired):
    damaged = [repaired.blocks[0], repaired.blocks[1]] + [
        b for b in repaired.blocks if b.kind == "caption"
    ]
    for block in damaged:
        assert not set("尧袁遥野冶叶曳渊冤窑") & set(block.text), block.text
        words = jieba.lcut(block.text, HMM=False)
        assert "院" not in words, block.text


def test_clean_lines_are_untouched(repaired):
    """Every line of running text that already had real punctuation survives verbatim (up
    to spaces around punctuation and a line-end hyphen)."""
    flat = re.sub(r"\s+", "", repaired.text)
    for line in RAW.splitlines():
        if CHINESE_PUNCTUATION.isdisjoint(line) or len(line.strip()) < 10:
            continue
        assert re.sub(r"\s+", "", line).rstrip("-") in flat, line
    assert "北大软件工程研究中心、北达软、政府采购信息报社协办" in repaired.text


def test_notes_count_each_repair(repaired):
    notes = "\n".join(repaired.notes)
    assert "尧→、 ×10" in notes
    assert "院→： ×2" in notes
    assert "窑→· ×1" in notes
    assert "院 ×5" in notes  # kept as Hanzi inside words, and said so
    assert "lifted 11 photo-caption lines out of 2 sentences" in notes


def test_wrapped_lines_become_paragraphs(repaired):
    paragraphs = [b.text for b in repaired.blocks if b.kind == "paragraph"]
    assert len(paragraphs) == 12
    assert all("\n" not in p for p in paragraphs)
    assert all(p[-1] in "。！？”" for p in paragraphs)
    # CJK-CJK joins get no space; Latin-Latin joins keep one.
    assert "着力点和发展方向" in repaired.text
    assert "mGov Lab China" in repaired.text


def test_captions_are_lifted_out_of_the_sentences_they_split(repaired):
    captions = [b.text for b in repaired.blocks if b.kind == "caption"]
    assert captions == [
        "第十一届中国电子政务高峰论坛在北京大学举行",
        "北京大学兼职教授、原工业和信息化部副部长杨学山",
        "清华大学国家治理研究院执行院长兼公共管理学院教授、清华大学电子政务实验室主任孟庆国",
        "北京市城市管理综合行政执法局科技信息中心主任、北京大学移动政务实验室主任宋刚",
        "CIO 时代学院院长、中国新一代 IT 产业推进联盟秘书长姚乐",
        "对话研讨：创新驱动的新型智慧城市建设",
        "对话研讨：新技术与创新服务",
        "中国新一代 IT 产业推进联盟智慧城市分委会成立仪式",
        "2017 年 6 月 15 日",
        "创新服务奖 创新设计奖",
        "创新人物奖 创新贡献奖",
    ]
    body = "".join(b.text for b in repaired.blocks if b.kind == "paragraph")
    assert "国家信息中心处长邵国安、河北省司法厅宣传处副处长郭佳" in body
    assert "举行务" not in body and "宋刚务" not in body


def test_page_header_is_a_heading_and_debris_is_dropped(repaired):
    headings = [b.text for b in repaired.blocks if b.kind == "heading"]
    assert headings == ["创新驱动新型智慧城市建设———第十一届中国电子政务高峰论坛在京举行"]
    assert "dropped layout debris" in "\n".join(repaired.notes)
    speech_two = next(b.text for b in repaired.blocks if "孟庆国发表" in b.text)
    assert speech_two.startswith("清华大学国家治理研究院执行院长兼公共管理学院教授、")


def test_a_damaged_paragraph_on_another_topic_is_repaired():
    raw = (
        "今天的会议讨论了城市交通问题袁与会专家认为袁\n"
        "公共交通是解决拥堵的关键遥 叶城市交通白皮书曳指出袁\n"
        "地铁里程增长了三成遥\n"
    )
    assert repair_text(raw).text == (
        "今天的会议讨论了城市交通问题，与会专家认为，公共交通是解决拥堵的关键。"
        "《城市交通白皮书》指出，地铁里程增长了三成。"
    )


def test_in_a_damaged_block_words_keep_their_characters():
    raw = "本次研讨会由研究院院长主持袁来自高校尧企业的代表参加遥野智慧交通冶成为热词遥\n"
    result = repair_text(raw)
    assert (
        result.text == "本次研讨会由研究院院长主持，来自高校、企业的代表参加。“智慧交通”成为热词。"
    )
    assert "院 ×2" in result.notes[0]


def test_a_clean_document_with_surnames_and_look_alike_words_is_unchanged():
    clean = (
        "叶落归根\n\n"
        "袁隆平院士一生致力于杂交水稻研究。叶子、野生稻和遥远的田野都是他研究的对象。\n\n"
        "医院院长袁明表示：“研究院的工作很重要。”\n\n"
        "袁华 叶青\n\n"
        "野生动物园院长叶子明\n"
    )
    result = repair_text(clean)
    assert result.text == clean.strip()
    assert not any("punctuation" in note for note in result.notes)


def test_a_single_look_alike_is_not_enough_evidence():
    # One free-standing 袁 in a line without punctuation could be a surname.
    assert repair_text("主持人袁\n").text == "主持人袁"


def test_unpaired_brackets_are_not_repaired():
    # 叶 without a closing 曳 is the surname or the leaf, whatever else is around it.
    result = repair_text("叶老师来自高校尧企业遥\n")
    assert result.text.startswith("叶老师")


def test_captions_that_split_a_sentence_are_found_by_shape():
    raw = (
        "这是第一段文字，讲述了城市交通的发展历程和未来的规划方向，以及各方\n\n"
        "参与者的具体意见和建议，包括地铁、公交和共享单车的协调发展与服\n\n"
        "图一：市长在会上讲话\n\n"
        "与会专家合影\n"
        " 务体系建设。\n\n"
        "第二段从这里开始，内容比较短。\n"
    )
    blocks = repair_text(raw).blocks
    assert [(b.kind, b.text) for b in blocks] == [
        (
            "paragraph",
            "这是第一段文字，讲述了城市交通的发展历程和未来的规划方向，"
            "以及各方参与者的具体意见和建议，包括地铁、公交和共享单车的协调发展与服务体系建设。",
        ),
        ("caption", "图一：市长在会上讲话"),
        ("caption", "与会专家合影"),
        ("paragraph", "第二段从这里开始，内容比较短。"),
    ]


def test_english_hyphenation_and_spacing():
    raw = "The city as an Open Mass Inno-\nvation Space is a new idea for\ncities.\n"
    assert repair_text(raw).text == (
        "The city as an Open Mass Innovation Space is a new idea for cities."
    )


def test_markdown_keeps_its_own_structure():
    raw = (
        "# 会议纪要\n\n"
        "第一段的第一行，\n第二行接着写。\n\n"
        "## 讨论\n\n"
        "- 要点一：**数据开放**。\n"
        "- 要点二：参见[报告](https://example.org)。\n\n"
        "![市长在会上讲话](photo.jpg)\n"
    )
    blocks = repair_text(raw, markdown=True).blocks
    assert [(b.kind, b.text, b.level) for b in blocks] == [
        ("heading", "会议纪要", 1),
        ("paragraph", "第一段的第一行，第二行接着写。", 0),
        ("heading", "讨论", 2),
        ("paragraph", "要点一：数据开放。", 0),
        ("paragraph", "要点二：参见报告。", 0),
        ("caption", "市长在会上讲话", 0),
    ]


def test_a_plain_document_keeps_its_paragraphs_and_headings():
    raw = "会议纪要\n\n第一段讲背景，\n接着说明情况。\n\n第二段讲结论。\n第三段只有一行。\n"
    assert [(b.kind, b.text) for b in repair_text(raw).blocks] == [
        ("heading", "会议纪要"),
        ("paragraph", "第一段讲背景，接着说明情况。"),
        ("paragraph", "第二段讲结论。"),
        ("paragraph", "第三段只有一行。"),
    ]


def test_repairing_repaired_text_changes_nothing(repaired):
    again = repair_text(repaired.text)
    assert again.text == repaired.text
    assert again.notes == []


def test_once_a_document_shows_the_shift_a_single_glyph_is_enough():
    caption = "北京大学兼职教授尧原工业和信息化部副部长杨学山"
    damaged = "今天的会议讨论了城市交通问题袁与会专家认为袁\n公共交通是解决拥堵的关键遥\n"
    clean = "会议在北京举行，代表们进行了讨论。\n"
    assert repair_text(clean + caption + "\n" + clean).text.count("尧") == 1
    repaired = repair_text(damaged + clean + caption + "\n" + clean).text
    assert "北京大学兼职教授、原工业和信息化部副部长杨学山" in repaired
