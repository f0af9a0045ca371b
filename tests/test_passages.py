"""Passages are whole sentences, labelled with the part of the report they come from."""

from __future__ import annotations

import pytest

from knowledge.loader import load_document
from knowledge.model import Block, Document
from knowledge.passages import (
    MAX_CHARS,
    knowledge_names,
    knowledge_terms,
    organisations,
    split_passages,
    split_role_name,
    split_sentences,
)
from knowledge.repair import repair_text
from tests.conftest import REPORT

SPEAKERS = {
    "杨学山": ("北京大学兼职教授、原工业和信息化部副部长", "创新驱动的新型智慧城市建设"),
    "孟庆国": (
        "清华大学国家治理研究院执行院长兼公共管理学院教授、清华大学电子政务实验室主任",
        "智慧城市助力社会管理创新",
    ),
    "宋刚": (
        "北京市城市管理综合行政执法局科技信息中心主任、北京大学移动政务实验室主任",
        "城域开放众创空间：新型智慧城市建设新路径",
    ),
}


@pytest.fixture(scope="module")
def report():
    document = load_document(REPORT)
    return split_passages(document, repair_text(document.text).blocks)


def passage_with(passages, fragment):
    return next(p for p in passages if fragment in p.text)


def doc(name: str = "notes.txt", title: str = "notes") -> Document:
    return Document(name=name, title=title, text="", sha256="0")


def test_each_keynote_is_attributed_with_role_and_title(report):
    speeches = {p.speaker: (p.speaker_role, p.talk_title) for p in report if p.kind == "speech"}
    assert speeches == SPEAKERS


@pytest.mark.parametrize(
    ("fragment", "speaker"),
    [
        ("杨学山教授强调，建设智慧城市", "杨学山"),
        ("三种社会管理范式", "孟庆国"),
        ("更好的获得感，让城市更加美好", "孟庆国"),
        ("钱学森强调汇聚古今中外", "宋刚"),
        ("通过感知、分析、服务、指挥、监察“五位一体”智慧城管建设", "宋刚"),
        ("实现人民城市人民管、人民城市为人民", "宋刚"),
    ],
)
def test_speech_sentences_belong_to_their_speaker(report, fragment, speaker):
    passage = passage_with(report, fragment)
    assert passage.kind == "speech"
    assert passage.speaker == speaker
    assert passage.citation().startswith(f"{speaker}（{SPEAKERS[speaker][0]}）")


def test_a_speech_ends_where_the_next_part_begins(report):
    host = passage_with(report, "姚乐主持大会论坛")
    assert host.speaker is None
    assert host.kind == "body"
    assert host.section == "大会论坛"


def test_sections_are_named_from_the_text(report):
    sections = list(dict.fromkeys(p.section for p in report if p.kind in ("body", "speech")))
    assert sections == [
        "导语",
        "第十一届中国电子政务高峰论坛暨 2017 中国新型智慧城市创新 50 强授牌",
        "杨学山主题演讲《创新驱动的新型智慧城市建设》",
        "孟庆国主题演讲《智慧城市助力社会管理创新》",
        "宋刚主题演讲《城域开放众创空间：新型智慧城市建设新路径》",
        "大会论坛",
        "对话研讨：创新驱动的新型智慧城市建设",
        "对话研讨：新技术与创新服务",
        "2017 中国新型智慧城市创新 50 强",
        "中国新一代 IT 产业推进联盟",
        "中国新一代 IT 产业推进联盟智慧城市分委会成立",
    ]


def test_a_part_announced_mid_paragraph_takes_its_lead_in(report):
    # The paragraph that announces the first panel opens with context for it.
    assert passage_with(report, "新型智慧城市本质是改革创新").section == (
        "对话研讨：创新驱动的新型智慧城市建设"
    )
    # The sub-committee is founded in the paragraph that introduces the alliance.
    assert passage_with(report, "共同发起成立的").section == "中国新一代 IT 产业推进联盟"
    assert passage_with(report, "邱建中先生担任分委会秘书长").section == (
        "中国新一代 IT 产业推进联盟智慧城市分委会成立"
    )


def test_captions_and_headings_are_passages_of_their_own(report):
    captions = [p for p in report if p.kind == "caption"]
    assert len(captions) == 11
    assert {p.section for p in captions} == {"图片说明"}
    assert any(p.text.endswith("北京大学移动政务实验室主任宋刚") for p in captions)
    (heading,) = [p for p in report if p.kind == "heading"]
    assert heading.text.startswith("创新驱动新型智慧城市建设")


def test_passages_are_whole_sentences_of_answering_size(report):
    for passage in report:
        if passage.kind in ("caption", "heading"):
            continue
        assert passage.text[-1] in "。！？”", passage.text
        sentences = split_sentences(passage.text)
        assert len(passage.text) <= MAX_CHARS or len(sentences) <= 2, passage.text
        assert len(sentences) <= 4 or len(passage.text) < 60
    sizes = [len(p.text) for p in report if p.kind in ("body", "speech")]
    assert sum(sizes) / len(sizes) > 100


def test_no_sentence_is_cut(report):
    text = "".join(p.text for p in report if p.kind in ("body", "speech"))
    document = load_document(REPORT)
    paragraphs = [b.text for b in repair_text(document.text).blocks if b.kind == "paragraph"]
    assert text == "".join(paragraphs)


def test_ids_are_unique_and_stable(report):
    ids = [p.id for p in report]
    assert len(set(ids)) == len(ids)
    assert ids[0] == "第十一届中国电子政务高峰论坛报道:0000"
    document = load_document(REPORT)
    again = split_passages(document, repair_text(document.text).blocks)
    assert [p.id for p in again] == ids
    assert [p.text for p in again] == [p.text for p in report]


def test_attribution_comes_from_the_text_not_from_known_names():
    blocks = [
        Block("paragraph", "会议于上午开幕，来自各地的代表参加了会议。"),
        Block(
            "paragraph",
            "某某大学公共管理学院教授张三发表了题为《数据治理的未来》的主题演讲。"
            "张三教授指出，数据是新的生产要素。他认为治理需要各方参与。",
        ),
        Block(
            "paragraph",
            "市大数据中心主任发表了题为《城市大脑》的主题报告。李四主任提出，城市需要统一的数据底座。",
        ),
        Block("caption", "某某大学公共管理学院教授张三"),
        Block("paragraph", "市政府副秘书长王五主持大会论坛，他感谢了各位嘉宾。"),
    ]
    passages = split_passages(doc(), blocks)
    speakers = [(p.speaker, p.speaker_role, p.talk_title, p.section) for p in passages]
    assert speakers == [
        (None, None, None, "导语"),
        ("张三", "某某大学公共管理学院教授", "数据治理的未来", "张三主题演讲《数据治理的未来》"),
        ("李四", "市大数据中心主任", "城市大脑", "李四主题报告《城市大脑》"),
        (None, None, None, "图片说明"),
        (None, None, None, "大会论坛"),
    ]


def test_a_nameless_introduction_takes_the_name_from_a_caption_with_the_same_role():
    blocks = [
        Block("paragraph", "市信息中心主任、某实验室主任发表了题为《开放创新》的主题演讲。"),
        Block("caption", "市信息中心主任、某实验室主任赵六"),
    ]
    (speech, _caption) = split_passages(doc(), blocks)
    assert speech.speaker == "赵六"
    assert speech.speaker_role == "市信息中心主任、某实验室主任"


def test_sentences_never_split_inside_quotes():
    assert split_sentences("他说：“我们来了。大家好！”然后离开。下一句？") == [
        "他说：“我们来了。大家好！”",
        "然后离开。",
        "下一句？",
    ]
    assert split_sentences("钱学森强调汇聚古今中外，“集大成，成智慧”。人机结合。") == [
        "钱学森强调汇聚古今中外，“集大成，成智慧”。",
        "人机结合。",
    ]


def test_a_very_long_sentence_stays_whole():
    sentence = "这是一个" + "非常" * 200 + "长的句子。"
    (passage,) = split_passages(doc(), [Block("paragraph", sentence + "短句。")])
    assert passage.text.startswith(sentence)


def test_roles_names_and_organisations():
    assert split_role_name("北京大学兼职教授、原工业和信息化部副部长杨学山") == (
        "北京大学兼职教授、原工业和信息化部副部长",
        "杨学山",
    )
    assert split_role_name("北京大学移动政务实验室主任") == ("北京大学移动政务实验室主任", "")
    assert split_role_name("第十一届中国电子政务高峰论坛在北京大学举行") is None
    assert organisations("北京大学兼职教授、原工业和信息化部副部长") == [
        "北京大学",
        "工业和信息化部",
    ]


def test_knowledge_terms_name_people_and_organisations(report):
    terms = knowledge_terms(report)
    assert {"杨学山", "孟庆国", "宋刚", "姚乐", "宋乐永", "王娇", "邱建中"} <= terms
    assert {"北京大学", "工业和信息化部", "清华大学国家治理研究院"} <= terms
    assert not {"强调", "提出", "多次"} & terms


def test_the_people_among_them_are_told_from_the_organisations(report):
    names = knowledge_names(report)
    assert {"杨学山", "孟庆国", "宋刚", "姚乐", "宋乐永", "王娇", "邱建中"} <= names
    assert not {"北京大学", "工业和信息化部", "清华大学国家治理研究院"} & names
    assert names <= knowledge_terms(report)


def test_markdown_headings_are_sections_and_front_matter_the_title(tmp_path):
    source = tmp_path / "智慧城市访谈.md"
    source.write_text(
        "---\ntitle: 智慧城市专家访谈\nsource: 示例期刊\ndate: 2017-06-20\n---\n\n"
        "# 背景\n\n本文整理自一次访谈。访谈围绕智慧城市建设展开。\n\n"
        "## 数据开放\n\n受访者认为，数据开放是基础。\n政府应当带头。\n\n"
        "![受访者在办公室](photo.jpg)\n",
        encoding="utf-8",
    )
    document = load_document(source)
    assert document.title == "智慧城市专家访谈"
    assert document.meta == {
        "title": "智慧城市专家访谈",
        "source": "示例期刊",
        "date": "2017-06-20",
    }
    passages = split_passages(document, repair_text(document.text, markdown=True).blocks)
    assert [(p.section, p.kind, p.text) for p in passages] == [
        ("背景", "body", "本文整理自一次访谈。访谈围绕智慧城市建设展开。"),
        ("数据开放", "body", "受访者认为，数据开放是基础。政府应当带头。"),
        ("图片说明", "caption", "受访者在办公室"),
    ]
    assert {p.document for p in passages} == {"智慧城市专家访谈"}
    assert passages[1].citation() == "《智慧城市专家访谈》数据开放"


def test_plain_text_is_accepted_too():
    passages = split_passages(doc(), "# 标题\n\n第一段。第二句。\n\n第二段。")
    assert [(p.section, p.text) for p in passages] == [
        ("标题", "第一段。第二句。"),
        ("标题", "第二段。"),
    ]


def test_words_that_order_events_are_not_part_of_a_role():
    blocks = [Block("paragraph", "随后市规划院院长钱七发表了题为《城市更新》的主题演讲。")]
    (passage,) = split_passages(doc(), blocks)
    assert (passage.speaker, passage.speaker_role) == ("钱七", "市规划院院长")
