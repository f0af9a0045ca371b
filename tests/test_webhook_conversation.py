"""Conversation state, follow-up rewriting and retry claims, on every store backend."""

from __future__ import annotations

import re

import pytest

from bot.chat.conversation import (
    Conversation,
    citation_number,
    rewrite_follow_up,
    show_passage,
    speaker_of,
)
from bot.chat.reply import Reply, ReplyKind
from bot.qa.answer import Answer, Citation, body_of
from bot.state import EmbeddedStore, MemoryStore, RedisStore
from bot.state.base import KEEP, Begun, Turn
from bot.state.retries import Reused, answer_once
from bot.wechat.limits import MAX_REPLY_BYTES
from knowledge.model import Passage
from knowledge.text import reply_sentences as split_sentences
from tests.conftest import REPLIES

SPEAKERS = frozenset({"杨学山", "孟庆国", "宋刚"})


@pytest.fixture(params=["memory", "embedded", "redis"])
def store(request, tmp_path):
    if request.param == "redis":  # one server per module; a prefix of its own per test
        server = request.getfixturevalue("redis_server")
        store = RedisStore(server.url, prefix=f"test:{tmp_path.name}:")
    else:
        store = MemoryStore() if request.param == "memory" else EmbeddedStore(tmp_path)
    yield store
    store.close()


def speech(speaker: str | None, text: str = "他指出，创新驱动是智慧城市的主题。") -> Passage:
    return Passage(
        id=f"report:{speaker}",
        document="报道",
        source="report.txt",
        section="主题演讲",
        text=text,
        kind="speech" if speaker else "body",
        speaker=speaker,
    )


# -- the store interface -----------------------------------------------------------------


def test_stores_get_set_add_delete_and_expire(store):
    assert store.get("k") is None
    store.set("k", {"a": [1, 2]})
    assert store.get("k") == {"a": [1, 2]}
    assert store.add("k", "other") is False
    store.delete("k")
    assert store.add("k", "mine") is True
    store.set("gone", 1, ttl=-1)  # already expired
    assert store.get("gone") is None
    assert store.add("gone", 2) is True


# -- which message is a follow-up --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "n"),
    [("1", 1), (" 2 ", 2), ("２", 2), ("[3]", 3), ("【1】", 1), ("（2）", 2), ("12", 12)],
)
def test_a_bare_number_asks_for_a_citation(text, n):
    assert citation_number(text) == n


@pytest.mark.parametrize("text", ["2017", "1个人", "第1条是什么", "", "一"])
def test_anything_else_is_a_question(text):
    assert citation_number(text) is None


@pytest.mark.parametrize(
    ("question", "rewritten"),
    [
        ("他还讲了什么？", "杨学山还讲了什么？"),
        ("她是谁？", "杨学山是谁？"),
        ("他的演讲题目是什么", "杨学山的演讲题目是什么"),
        ("这位嘉宾的职务是什么？", "杨学山的职务是什么？"),
        ("TA提出了什么观点", "杨学山提出了什么观点"),
        ("还讲了什么？", "杨学山还讲了什么？"),
        ("那还强调了什么", "那杨学山还强调了什么"),
        ("其他嘉宾有哪些？", "其他嘉宾有哪些？"),  # 其他 is not a pronoun
        ("他们讲了什么？", "他们讲了什么？"),  # plural: not one speaker
        ("孟庆国讲了什么？", "孟庆国讲了什么？"),  # names someone already
        ("论坛在哪里举行？", "论坛在哪里举行？"),
    ],
)
def test_a_question_pointing_back_gets_the_previous_speakers_name(question, rewritten):
    assert rewrite_follow_up(question, "杨学山", SPEAKERS) == rewritten


def test_without_a_previous_speaker_the_question_is_asked_as_is():
    assert rewrite_follow_up("他还讲了什么？", None, SPEAKERS) == "他还讲了什么？"


def test_the_speaker_is_the_one_the_question_named_else_the_cited_speechs():
    cited = Answer(
        "q", True, "…", [Citation(1, speech(None), 2.0), Citation(2, speech("宋刚"), 1.0)]
    )
    assert speaker_of("孟庆国的观点是什么？", cited, SPEAKERS) == "孟庆国"
    assert speaker_of("智慧城管是什么？", cited, SPEAKERS) == "宋刚"
    assert speaker_of("论坛在哪里举行？", Answer("q", False, "…"), SPEAKERS) is None


# -- conversation state ------------------------------------------------------------------


def test_a_number_before_any_question_explains_what_to_do(store, engine):
    assert Conversation(store, "u1").respond(engine, "1").text == REPLIES.no_previous


def test_a_number_after_an_unanswered_question_says_there_were_no_sources(store, engine):
    conversation = Conversation(store, "u1")
    conversation.remember("q", Answer("q", False, "not found"))
    assert conversation.respond(engine, "1").text == REPLIES.no_sources


def test_a_number_shows_the_remembered_passage_even_after_a_reload(store, engine):
    """The text to show is kept with the citation, so reloading the knowledge in between
    (passage ids renumbered, text changed) still shows what the user was shown."""
    conversation = Conversation(store, "u1")
    passage = speech("宋刚", "宋刚主任提出，理解新型智慧城市需要把握创新2.0。" * 3)
    conversation.remember("宋刚讲了什么？", Answer("q", True, "…", [Citation(1, passage, 2.0)]))
    reply = conversation.respond(engine, "1")
    assert reply.kind == "passage"
    assert reply.text == f"[1] {passage.citation()}\n{passage.text}"


def test_a_long_passage_is_cut_at_a_sentence_within_the_byte_limit():
    text = "".join(f"第{i}句讲的是智慧城市建设中的一个具体问题。" for i in range(200))
    shown = show_passage(1, "《报道》", text)
    assert len(shown.encode("utf-8")) <= MAX_REPLY_BYTES
    assert shown.startswith("[1] 《报道》\n第0句")
    assert shown.endswith("。…")


def test_a_real_answer_is_remembered_for_its_numbers(store, engine):
    conversation = Conversation(store, "u2")
    reply = conversation.respond(engine, "论坛在哪里举行？")
    answer = engine.ask("论坛在哪里举行？")
    assert reply == Reply(
        answer.text, "answer", answer.answered, answer.top_score, "论坛在哪里举行？"
    )
    first = answer.citations[0].passage
    assert conversation.respond(engine, "1").text == show_passage(1, first.citation(), first.text)


def test_forgetting_drops_the_users_state(store, engine):
    conversation = Conversation(store, "u3")
    conversation.respond(engine, "论坛在哪里举行？")
    conversation.forget()
    assert conversation.respond(engine, "1").text == REPLIES.no_previous


def test_conversation_state_expires(store, engine):
    conversation = Conversation(store, "u4", ttl=-1)  # expired as soon as written
    conversation.respond(engine, "论坛在哪里举行？")
    assert conversation.respond(engine, "1").text == REPLIES.no_previous


# -- retry claims ------------------------------------------------------------------------


def turn(claim: str, **fields) -> Turn:
    return Turn(claim=claim, claim_ttl=30, context="conversation:u", stamp="stamp", **fields)


def reply_once(store, claim: str, compute, wait: float = 4.0, **fields):
    return answer_once(
        store, turn(claim, **fields), lambda begun: (compute(), KEEP), context_ttl=60, wait=wait
    )


def test_the_first_claim_computes_and_retries_get_its_reply(store):
    calls = []

    def compute() -> dict:
        calls.append(1)
        return Reply(f"reply {len(calls)}", ReplyKind.ANSWER, True, 1.5).to_json()

    first = Reply("reply 1", ReplyKind.ANSWER, True, 1.5).to_json()
    assert reply_once(store, "m1", compute) == (first, False)
    assert reply_once(store, "m1", compute) == (first, True)
    assert Reply.from_json(first) == Reply("reply 1", ReplyKind.ANSWER, True, 1.5)
    assert len(calls) == 1


def test_a_retry_while_the_first_run_is_still_working_waits_then_gives_up(store):
    store.add("m2", {"pending": True})  # another worker claimed it and has not finished
    assert reply_once(store, "m2", lambda: {"text": "never"}, wait=0.1) == (None, True)


def test_a_failed_run_releases_its_claim_for_the_next_retry(store):
    def fail() -> dict:
        raise RuntimeError("engine failed")

    with pytest.raises(RuntimeError):
        reply_once(store, "m3", fail)
    assert reply_once(store, "m3", lambda: {"text": "ok"}) == ({"text": "ok"}, False)


def test_a_signed_url_carries_one_body_and_its_retries(store):
    """The body's digest is kept with the first begin; a retry repeats it and gets the
    reply, another body under the same URL is refused before anything is claimed."""
    signed = ("wechat:signed:u1", "digest-a", 60)
    assert reply_once(store, "m4", lambda: {"text": "a"}, signed=signed)[1] is False
    assert reply_once(store, "m4", lambda: {"text": "a"}, signed=signed) == ({"text": "a"}, True)
    with pytest.raises(Reused):
        reply_once(store, "m5", lambda: {"text": "b"}, signed=("wechat:signed:u1", "b", 60))
    assert store.get("m5") is None


def test_the_run_that_claims_reads_the_context_and_leaves_its_own(store):
    store.set("conversation:u", {"asked": "before"})
    seen: list[Begun] = []

    def compute(begun: Begun) -> tuple[dict, dict]:
        seen.append(begun)
        return {"text": "r"}, {"asked": "now"}

    assert answer_once(store, turn("m6"), compute, context_ttl=60) == ({"text": "r"}, False)
    assert seen[0].context == {"asked": "before"}
    assert store.get("conversation:u") == {"asked": "now"}
    assert store.get("m6") == {"text": "r"}
    answer_once(store, turn("m7"), lambda begun: ({"text": "bye"}, None), context_ttl=60)
    assert store.get("conversation:u") is None  # dropped (unsubscribe)


@pytest.mark.parametrize("thanks", ["好的谢谢你", "嗯嗯多谢啦", "谢谢你呀"])
def test_thanks_in_a_conversation_is_thanks_not_a_follow_up(engine, thanks):
    conversation = Conversation(MemoryStore(), "u-thanks", channel="eval")
    assert conversation.respond(engine, "谁主持的大会论坛").answered
    reply = conversation.respond(engine, thanks)
    assert (
        not reply.answered and "不客气" in (reply.text or "") and "出处" not in (reply.text or "")
    )
    # the answer before stays open
    assert conversation.respond(engine, "1").kind == "passage"


def test_what_else_someone_said_repeats_nothing_shown_in_the_conversation(engine):
    conversation = Conversation(MemoryStore(), "u-more", channel="eval")
    shown = [conversation.respond(engine, "孟庆国的演讲题目是啥").text or ""]
    shown.append(conversation.respond(engine, "他提出了哪几种范式").text or "")
    more = conversation.respond(engine, "还有呢？他还讲了些什么")
    assert more.answered and "孟庆国" in (more.text or "")
    quoted = split_sentences(re.sub(r"\[\d+\]", "", body_of(more.text or "")))
    assert quoted and not any(s in earlier for s in quoted for earlier in shown)


def test_a_follow_up_with_a_question_of_its_own_is_not_more_of_the_same(engine):
    conversation = Conversation(MemoryStore(), "u-own", channel="eval")
    assert conversation.respond(engine, "习近平总书记强调了什么").answered
    # 还强调 asks about the same statement, which was shown already
    reply = conversation.respond(engine, "还强调要加强哪些领域的合作")
    assert reply.answered and "数字经济、人工智能" in (reply.text or "")


def test_an_elliptical_turn_takes_the_frame_of_the_question_before_a_pronoun_turn(engine):
    conversation = Conversation(MemoryStore(), "u-frame", channel="eval")
    assert "宋乐永" in (conversation.respond(engine, "第一场对话研讨是谁主持的？").text or "")
    assert conversation.respond(engine, "他是哪个单位的？").answered
    # 第二场 swaps for 第一场 in the question before, which 他是哪个单位的 has not
    assert "王娇" in body_of(conversation.respond(engine, "第二场呢").text or "")


@pytest.mark.parametrize("hello", ["你好呀，你是谁？", "你好，谢谢", "嗨"])
def test_a_greeting_however_rounded_off_is_a_greeting(engine, hello):
    conversation = Conversation(MemoryStore(), "u-hello", channel="eval")
    assert conversation.respond(engine, "请问论坛会议主题是什么？").answered
    assert "你好！" in (conversation.respond(engine, hello).text or "")


def test_a_role_phrase_or_a_post_swaps_in_for_the_one_asked_about(engine):
    conversation = Conversation(MemoryStore(), "swapper")
    conversation.respond(engine, "深信服来的专家是谁")
    conversation.respond(engine, "他分享了什么")
    reply = conversation.respond(engine, "那全时CEO呢")
    assert reply.asked == "陈学军分享了什么" and "SaaS" in (reply.text or "")
    conversation = Conversation(MemoryStore(), "posts")
    conversation.respond(engine, "分委会主任是谁")
    reply = conversation.respond(engine, "秘书长呢")
    assert reply.asked == "分委会秘书长是谁" and "邱建中" in (reply.text or "")
    assert conversation.respond(engine, "他是哪个单位的").asked == "邱建中是哪个单位的"


def test_it_points_back_at_the_last_organisation_named(engine):
    conversation = Conversation(MemoryStore(), "its")
    conversation.respond(engine, "政府采购信息报社在论坛里是什么角色")
    reply = conversation.respond(engine, "它的社长参加了吗")
    assert reply.asked == "政府采购信息报社的社长参加了吗"
    assert body_of(reply.text or "").startswith("是的") and "刘亚利" in (reply.text or "")


def test_the_person_a_turn_means_is_the_one_its_own_words_point_at(engine):
    conversation = Conversation(MemoryStore(), "pairs")
    conversation.respond(engine, "第一场对话的嘉宾有谁")
    conversation.respond(engine, "南通那位叫啥")  # framed with the turn before it
    assert conversation.respond(engine, "他什么职务").asked == "邱爱军什么职务"
    conversation = Conversation(MemoryStore(), "secretary")
    conversation.respond(engine, "智慧城市分委会主任是谁")
    conversation.respond(engine, "秘书长呢")  # one sentence names the 主任 first
    assert conversation.respond(engine, "这个人在哪个单位工作").asked == "邱建中在哪个单位工作"


def test_someone_else_named_by_who_they_are_is_asked_about_in_their_place(engine):
    conversation = Conversation(MemoryStore(), "kinds")
    conversation.respond(engine, "甄学泓是哪里的")
    reply = conversation.respond(engine, "那芜湖来的嘉宾呢")
    assert reply.asked == "芜湖来的嘉宾是哪里的" and "承孝敏" in (reply.text or "")


def test_a_short_turn_about_something_the_report_never_mentions_is_no_follow_up(engine):
    conversation = Conversation(MemoryStore(), "mars")
    conversation.respond(engine, "杨学山强调了什么")
    reply = conversation.respond(engine, "火星上有什么")
    assert not reply.answered and "出处" not in (reply.text or "")


def test_a_turn_pointing_at_what_was_said_is_asked_of_the_last_subject(engine):
    conversation = Conversation(MemoryStore(), "effects")
    conversation.respond(engine, "宋刚说的五位一体是什么")
    reply = conversation.respond(engine, "这样做能达到什么效果")
    assert reply.asked.startswith("宋刚说的五位一体") and "群体智慧" in (reply.text or "")
    # a turn of its own that says 这么 or 这样 is asked as it is
    conversation.respond(engine, "宋乐永主持的对话有几个嘉宾")
    assert conversation.respond(engine, "这么多嘉宾里谁是南通的").asked == "这么多嘉宾里谁是南通的"
    assert conversation.respond(engine, "孟庆国为什么这样说").asked == "孟庆国为什么这样说"


def test_it_or_this_one_points_at_the_thing_the_last_question_asked_about(engine):
    conversation = Conversation(MemoryStore(), "topic")
    conversation.respond(engine, "报道里说新型智慧城市的本质是啥")
    reply = conversation.respond(engine, "它和城市信息化有什么区别")
    assert reply.asked.startswith("新型智慧城市和") and "高于信息化" in (reply.text or "")
    conversation.respond(engine, "宋刚说的五位一体指什么？")
    reply = conversation.respond(engine, "这个要实现什么目标")
    assert reply.asked.startswith("五位一体要") and "人民城市人民管" in (reply.text or "")
    # a pointer at a body, or at a person, is theirs, not the thing's
    assert conversation.respond(engine, "他是哪个单位的").asked.startswith("宋刚")
    # 这个对话 names a thing of its own
    assert conversation.respond(engine, "这个对话是谁主持的").asked == "这个对话是谁主持的"


def test_a_turn_opening_with_a_verb_of_saying_is_asked_of_the_last_person(engine):
    conversation = Conversation(MemoryStore(), "said")
    conversation.respond(engine, "张乐交是哪家公司的？")
    reply = conversation.respond(engine, "讲了什么主题？")
    assert reply.asked == "张乐交讲了什么主题？" and "政务服务" in (reply.text or "")


def test_more_of_the_same_is_of_the_person_asked_about_not_the_one_the_answer_named(engine):
    conversation = Conversation(MemoryStore(), "more-of")
    conversation.respond(engine, "宋刚提到了哪位科学家？")
    assert conversation.respond(engine, "还讲了什么？").asked == "宋刚还讲了什么？"


def test_a_claim_with_its_subject_left_out_is_a_claim_about_the_last_person(engine):
    conversation = Conversation(MemoryStore(), "claim")
    conversation.respond(engine, "甄学泓是哪里的")
    reply = conversation.respond(engine, "是正秘书长吗")
    assert reply.asked == "甄学泓是正秘书长吗" and (reply.text or "").startswith("不是")
    # 是什么 asks, it claims nothing
    assert rewrite_follow_up("是什么", "甄学泓") == "是什么"


def test_what_else_someone_took_part_in_is_a_part_not_shown_yet(engine):
    conversation = Conversation(MemoryStore(), "also")
    conversation.respond(engine, "宋乐永主持的对话主题是啥")
    conversation.respond(engine, "他是哪个单位的")
    reply = conversation.respond(engine, "他还参加了什么环节")
    assert "分委会" in (reply.text or "")


def test_a_body_swapped_in_replaces_the_whole_name_with_its_place(engine):
    conversation = Conversation(MemoryStore(), "bodies")
    conversation.respond(engine, "河北省司法厅来的是谁？")
    reply = conversation.respond(engine, "那环保部呢？")
    assert reply.asked == "环保部来的是谁？" and "李蔚" in (reply.text or "")


def test_a_turn_of_nothing_but_what_it_asks_of_a_person_is_asked_of_the_last_one(engine):
    conversation = Conversation(MemoryStore(), "short")
    conversation.respond(engine, "智慧城市分委会秘书长是谁？")
    assert conversation.respond(engine, "哪个单位的？").asked == "邱建中哪个单位的？"
    reply = conversation.respond(engine, "他在分享环节讲了什么？")
    assert "智慧城市的创新应用" in (reply.text or "")
    # after a question about a body, the body's
    conversation = Conversation(MemoryStore(), "body")
    conversation.respond(engine, "杨学山讲了什么")
    conversation.respond(engine, "光启研究院是做什么的")
    assert not conversation.respond(engine, "哪个单位的？").asked.startswith("杨学山")


# A follow-up, after the turns before it: how it is asked, and a fact its reply says (None:
# declined, with no 出处). Each row is one user's conversation.
FOLLOW_UPS = [
    # 另一场: the other of the two dialogues; then 她 is its host
    (
        ["宋乐永主持的是哪场对话？"],
        "那另一场是谁主持的",
        "那对话研讨：新技术与创新服务是谁主持的",
        "王娇",
    ),
    (
        ["宋乐永主持的是哪场对话？", "那另一场是谁主持的"],
        "她是什么职务",
        "王娇是什么职务",
        "院长助理",
    ),
    # 这个环节: the part the last answer came from
    (["姚乐主持的什么环节"], "这个环节都有谁做了分享", "大会论坛都有谁做了分享", "鲁四海"),
    # 这场对话 points at a dialogue only, and 这场活动 at no part
    (["邱建中是谁"], "这场对话的嘉宾有谁", "这场对话的嘉宾有谁", "对话嘉宾"),
    (["宋乐永主持的是哪场对话"], "这场活动是谁主办的", "这场活动是谁主办的", "主办"),
    # 第一种: the first item of the list the last answer gave
    (
        ["孟庆国提了几种范式？"],
        "第一种是什么意思",
        "由政府建平台提供的供给式是什么意思",
        "政府建平台",
    ),
    # a time the knowledge never mentions: a question of its own
    (["来了多少人"], "中午吃的什么", "中午吃的什么", None),
    # a body for a body, not for the one person of it
    (
        ["跟李容珍同一场的环保部嘉宾是谁"],
        "国家信息中心的呢",
        "跟李容珍同一场的国家信息中心嘉宾是谁",
        "邵国安",
    ),
    # after a who-question of someone, the one answered (钱学森, a person the talk retells)
    (["宋刚提到了哪位科学家"], "这位科学家强调了什么", "钱学森强调了什么", "集大成"),
    (["姚乐是谁"], "他主持了什么", "姚乐主持了什么", "大会论坛"),  # asked about him
    # 他的单位: the last person's body (read as the body their roles name)
    (
        ["刘洪生是哪个单位的？"],
        "他的单位在这次论坛里还承担什么角色？",
        "刘洪生的单位在这次论坛里还承担什么角色？",
        "协办",
    ),
    # 再之后呢: who comes after the one just answered; 最后这位: that one
    (["杨学山之后是谁做主题演讲"], "再之后呢", "孟庆国之后是谁做主题演讲", "宋刚"),
    # 是李华吗 after a who-question: the claim in its frame, held against who it was
    (["大会论坛是谁主持的"], "是王娇吗", "大会论坛是王娇主持的吗", "不是，是姚乐"),
    (
        ["杨学山之后是谁做主题演讲", "再之后呢"],
        "最后这位讲的题目是什么",
        "最后宋刚讲的题目是什么",
        "城域开放众创空间",
    ),
]


@pytest.mark.parametrize(("before", "turn", "asked", "fact"), FOLLOW_UPS)
def test_a_follow_up_is_asked_in_the_terms_of_the_turns_before(engine, before, turn, asked, fact):
    conversation = Conversation(MemoryStore(), f"follow-up-{turn}")
    for text in before:
        conversation.respond(engine, text)
    reply = conversation.respond(engine, turn)
    assert reply.asked == asked
    if fact is None:
        assert not reply.answered and "出处" not in (reply.text or "")
    else:
        assert fact in body_of(reply.text or "").replace(" ", "")


def test_a_follow_up_naming_its_own_owner_takes_the_frame_whole(engine):
    conversation = Conversation(MemoryStore(), "u-owner", channel="eval")
    first = conversation.respond(engine, "“创新驱动的新型智慧城市建设”对话研讨的主持人是谁？")
    assert "宋乐永" in (first.text or "")
    # 第二场对话的 stands for the whole of the last question's owner, however long
    assert "王娇" in body_of(conversation.respond(engine, "那第二场对话的主持人呢？").text or "")


def test_a_bare_question_of_what_a_part_has_is_asked_of_the_last_answers_part(engine):
    conversation = Conversation(MemoryStore(), "u-part", channel="eval")
    assert "李蔚" in (conversation.respond(engine, "环保部信息中心来的嘉宾是谁？").text or "")
    assert "王娇" in body_of(conversation.respond(engine, "主持人是谁？").text or "")


def test_more_of_a_talk_leaves_out_its_opening(engine):
    conversation = Conversation(MemoryStore(), "u-opening", channel="eval")
    assert conversation.respond(engine, "孟庆国说智慧城市对社会管理有啥作用？").answered
    more = body_of(conversation.respond(engine, "他还讲了啥？").text or "")
    assert more and "发表了题为" not in more
