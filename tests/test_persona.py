"""The forum's words live in its persona file (knowledge/sources/persona.toml), not in code:
serving another forum is a change of the knowledge folder. Examples in comments are made up
(张明, 东方大学), never the report's people or organisations."""

from __future__ import annotations

import re

import pytest

from bot.config import PROJECT_ROOT
from knowledge import build_knowledge_base
from knowledge.errors import KnowledgeError
from knowledge.persona import FILE_NAME, Persona, parse_persona
from tests.conftest import PERSONA

SOURCES = [
    *(
        p
        for part in ("bot", "handlers", "knowledge", "bench")
        for p in (PROJECT_ROOT / part).rglob("*.py")
    ),
    PROJECT_ROOT / "wsgi.py",
]
FORUM = ("电子政务高峰论坛", "第十一届")
YEAR = re.compile(r"(?<!\d)2017(?!\d)")  # the forum's year, not a digit run such as a seed


def test_no_python_source_names_the_forum_its_year_its_people_or_its_bodies(kb_people, kb):
    bodies = {o for org in kb.organisations for o in (org, org.replace(" ", ""))}
    assert len(bodies) > 10
    words = (*FORUM, *kb_people, *bodies)
    found = []
    for path in SOURCES:
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            hits = [w for w in words if w in line] + YEAR.findall(line)
            if hits:
                found.append(f"{path.relative_to(PROJECT_ROOT)}:{n}: {', '.join(hits)}")
    assert not found, "the forum's words in code:\n" + "\n".join(found)


@pytest.fixture(scope="module")
def kb_people(kb) -> frozenset[str]:
    people = frozenset(kb.speakers) | frozenset(kb.roles)  # every person the report names
    assert len(people) > 20 and FORUM[0] in PERSONA.subject
    return people


def test_the_persona_comes_with_the_knowledge_and_its_version(tmp_path):
    folder = tmp_path / "forum"
    folder.mkdir()
    (folder / "report.txt").write_text("甲乙论坛于北京举行。张三在会上作了主题演讲。\n", "utf-8")
    bare = build_knowledge_base(folder)
    assert bare.persona == Persona()  # neutral words: no forum named anywhere
    (folder / FILE_NAME).write_text(
        'subject = "甲乙论坛"\nexamples = ["论坛在哪里举行？"]\nwelcome = "欢迎！"\n'
        '[replies]\nnot_found = "没有找到。可以问：\\n{examples}"\n',
        "utf-8",
    )
    kb = build_knowledge_base(folder)
    assert kb.persona.subject == "甲乙论坛" and kb.persona.menu.welcome == "欢迎！"
    assert kb.persona.replies.not_found == "没有找到。可以问：\n• 论坛在哪里举行？"
    assert kb.version != bare.version  # a reload that changes only the words is a change


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("subject = ", "not valid TOML"),
        ('welcome = "hi"\n[replies]\nnot_fond = "x"', "no reply 'not_fond'"),
        ('welcome = "hi"\nexamples = "one"', "list of non-empty strings"),
        ('subject = "x"', "'welcome' must be a non-empty string"),
    ],
)
def test_a_broken_persona_is_refused_naming_the_file_and_the_field(text, error):
    with pytest.raises(KnowledgeError, match=re.escape(error)) as refused:
        parse_persona(text)
    assert refused.value.path == FILE_NAME


def test_kb_check_names_a_broken_persona(folder):
    from knowledge.check import check_folder

    (folder / FILE_NAME).write_text('welcome = "hi"\n[replies]\nnot_fond = "x"\n', "utf-8")
    report = check_folder(folder)
    assert not report.ok
    assert any(line.startswith(f"ERROR  {FILE_NAME}: ") for line in report.lines())


def test_a_reply_longer_than_wechat_allows_is_refused_naming_it():
    from bot.wechat.limits import MAX_REPLY_BYTES
    from knowledge.persona import REPLY_BYTES

    assert REPLY_BYTES == MAX_REPLY_BYTES
    text = f'[replies]\nyou_are_welcome = "{"谢" * 700}"\n'
    with pytest.raises(KnowledgeError, match="you_are_welcome"):
        parse_persona(text, FILE_NAME)
