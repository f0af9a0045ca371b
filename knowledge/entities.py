"""The people the documents name, what the documents call them, and what users will call them.

Users rarely type a full name with its full role. They say 孟院长, 宋主任, 杨部长: a surname
and one of the titles the text gives that person. So every person found by the build gets
their roles (the text before the name, back to the previous clause: 晨光网副总编辑) and,
from the titles in those roles, the aliases a user may type. An alias two people could
answer to (宋总 for two 宋s) is dropped: guessing would answer about the wrong person.
Everything here comes from the documents, so a new report brings its own people.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping

from knowledge.model import Passage
from knowledge.passages import TITLE_RE, split_role_name
from knowledge.text import longest_first

# Where a role can start: after a clause mark, or after another person's name.
_ROLE_START = re.compile(r"[，。；：:！？（(“]")
# Words that join or introduce people in running text: 由晨光网副总编辑吴刚主持, …郑洁和深圳…
_LEAD_WORDS = re.compile(r"^(?:由|和|及|与|请|以及)")
_SPACES = re.compile(r"\s+")
# What people are called by, given a title in their role: the title itself, without 副
# (a deputy is addressed as 主任), and the short forms people use for executives.
_SHORT_TITLES: dict[str, tuple[str, ...]] = {
    "总经理": ("总",),
    "副总经理": ("总",),
    "总编辑": ("总编", "总"),
    "副总编辑": ("总编", "副总编", "总"),
    "总裁": ("总",),
    "CEO": ("总",),
    "CTO": ("总",),
    "兼职教授": ("教授", "老师"),
    "教授": ("老师",),
    "执行院长": ("院长",),
    "院长特别助理": ("助理",),
    "院长助理": ("助理",),
    "首席专家": ("专家",),
    "资深专家": ("专家",),
}
MAX_ROLE_CHARS = 60
# A post said after the name (张明先生担任分委会秘书长): up to the clause's end, and it must
# end in a title.
_TAKES_POST = re.compile(
    r"(?:先生|女士|教授)?(?:担任|出任)([^，。；、：:（(]{2,30}?)(?=[，。；]|$)"
)


def roles_in(text: str, name: str, people: re.Pattern[str] | None = None) -> list[str]:
    """The roles ``text`` gives ``name``: each run of titled clauses right before the name
    (东方大学兼职教授、原交通运输部副部长李华 gives both). ``people``: a pattern of
    everyone's names: a role cannot reach back past another person."""
    roles = []
    for match in re.finditer(re.escape(name), text):
        before = text[: match.start()]
        cut = max((m.end() for m in _ROLE_START.finditer(before)), default=0)
        if people is not None:
            for other in people.finditer(before, cut):
                if other.group() != name:
                    cut = max(cut, other.end())
        role = _LEAD_WORDS.sub("", _SPACES.sub(" ", before[cut:]).strip()).strip()
        pieces = [p for p in re.split(r"、", role) if p]
        # the pieces joined by 、 belong to this person while each ends with a title
        kept: list[str] = []
        for piece in reversed(pieces):
            found = split_role_name(piece)
            if not found or found[1]:
                break
            kept.insert(0, piece)
        role = "、".join(kept)
        if role and len(role) <= MAX_ROLE_CHARS:
            roles.append(role)
        post = _TAKES_POST.match(text, match.end())
        if post and (title := TITLE_RE.search(post.group(1))) and title.end() == len(post.group(1)):
            roles.append(post.group(1))
    return roles


def find_roles(passages: Iterable[Passage], names: Iterable[str]) -> dict[str, list[str]]:
    """Each person's roles, as the documents word them, most said first."""
    names = longest_first(names)
    # one pass a passage for every name at once: a loop over the names would be passages ×
    # names substring searches, minutes at 100,000 passages
    anyone = re.compile("|".join(map(re.escape, names))) if names else None
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for passage in passages:
        if passage.speaker and passage.speaker_role:
            seen = counts[passage.speaker]
            seen[passage.speaker_role] = seen.get(passage.speaker_role, 0) + 1
        if anyone is None:
            continue
        text = passage.text
        for name in dict.fromkeys(m.group() for m in anyone.finditer(text)):
            for role in roles_in(text, name, anyone):
                seen = counts[name]
                seen[role] = seen.get(role, 0) + 1
    return {
        name: sorted(roles, key=lambda r: (-roles[r], -len(r)))
        for name, roles in counts.items()
        if roles
    }


def titles_of(roles: Iterable[str]) -> list[str]:
    """The job titles in a person's roles, each once."""
    return list(dict.fromkeys(m.group() for role in roles for m in TITLE_RE.finditer(role)))


def aliases(roles: Mapping[str, Iterable[str]], names: Iterable[str]) -> dict[str, str]:
    """Surname + title → the one person it can mean (张院长 → 张明)."""
    claimed: dict[str, set[str]] = defaultdict(set)
    for name in names:
        if len(name) < 2:
            continue
        surname = name[0]
        for title in titles_of(roles.get(name, ())):
            forms = {title, title.removeprefix("副"), *_SHORT_TITLES.get(title, ())}
            for form in forms:
                if form:
                    claimed[surname + form].add(name)
    known = set(names)
    return {
        alias: next(iter(people))
        for alias, people in claimed.items()
        if len(people) == 1 and alias not in known
    }
