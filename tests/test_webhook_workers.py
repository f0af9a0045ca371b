"""One bot across several workers: two app instances sharing BOT_DATA_DIR, as two gunicorn
workers do, answer follow-ups and retries as if they were one."""

from __future__ import annotations

import uuid

import pytest

from bot.chat.conversation import Conversation, show_passage
from bot.qa.answer import Answer, Citation
from bot.state.privacy import hash_user
from bot.web import create_app
from bot.wechat.limits import MAX_REPLY_BYTES
from knowledge.model import Passage
from knowledge.text import split_sentences
from tests.conftest import REPLIES
from tests.wechat_support import OPENID, WeChat, message_logs, webhook_config

FIRST = "论坛在哪里举行？"
SECOND = "杨学山的演讲题目是什么？"


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("shared-data")
    return create_app(webhook_config(data_dir)), create_app(webhook_config(data_dir))


@pytest.fixture(params=["plain", "safe"])
def workers(request, apps) -> tuple[WeChat, WeChat]:
    return WeChat(apps[0], request.param), WeChat(apps[1], request.param)


def user_of(app, openid: str = OPENID) -> str:
    return hash_user(openid, app.extensions["forumbot"].user_key)


def first_citation(engine, question: str) -> str:
    answer = engine.ask(question)
    assert answer.citations, f"expected {question} to be answered with citations"
    c = answer.citations[0]
    return show_passage(1, c.passage.citation(), c.passage.text)


def test_both_workers_hash_a_user_to_the_same_pseudonym(apps):
    assert user_of(apps[0]) == user_of(apps[1])
    assert OPENID not in user_of(apps[0])


def test_a_citation_number_shows_the_passage_from_the_other_worker(workers, engine):
    a, b = workers
    openid = "oFollowUpUser0000000000000001"
    a.text(FIRST, openid=openid)
    sent = b.text("1", openid=openid)
    assert sent.text == first_citation(engine, FIRST)
    assert len(sent.text.encode("utf-8")) <= MAX_REPLY_BYTES


def test_follow_ups_belong_to_their_user(workers):
    a, b = workers
    a.text(FIRST, openid="oFollowUpUser0000000000000002")
    assert b.text("1", openid="oSomebodyElse000000000000003").text == REPLIES.no_previous


def test_a_number_with_no_such_citation_says_which_exist(workers, engine):
    a, b = workers
    openid = "oFollowUpUser0000000000000004"
    a.text(FIRST, openid=openid)
    sent = b.text("9", openid=openid)
    numbers = "、".join(str(c.n) for c in engine.ask(FIRST).citations)
    assert sent.text == f"上一条回答没有出处 [9]，可以回复 {numbers} 查看原文。"


def test_a_retried_message_is_processed_once_and_answered_alike_on_any_worker(
    workers, engine, caplog
):
    """The retry arrives after the user's state has moved on, so processing it again would
    show a different passage: only the first run's reply can make the retry match."""
    caplog.set_level("INFO", logger="bot.web.webhook")
    a, b = workers
    openid = "oRetryUser000000000000000005"
    assert first_citation(engine, FIRST) != first_citation(engine, SECOND)

    msg_id = a.wechat.next_msg_id()
    a.text(FIRST, openid=openid)
    original = a.text("1", openid=openid, msg_id=msg_id)
    a.text(SECOND, openid=openid)
    retry = b.text("1", openid=openid, msg_id=msg_id)
    another_retry = a.text("1", openid=openid, msg_id=msg_id)

    assert original.text == first_citation(engine, FIRST)
    assert retry.text == original.text == another_retry.text
    assert b.text("1", openid=openid).text == first_citation(engine, SECOND)  # a new MsgId
    retries = [line["retry"] for line in message_logs(caplog)]
    assert retries == [False, False, False, True, True, False]


def test_a_retried_event_is_recognised_by_sender_and_time(workers, caplog):
    caplog.set_level("INFO", logger="bot.web.webhook")
    a, b = workers
    openid = f"oEventUser-{a.wechat.mode}"
    fields = {"event": "subscribe", "create_time": 1_700_000_000, "openid": openid}
    first, again = a.message("event", **fields), b.message("event", **fields)
    assert first.text == again.text
    assert [line["retry"] for line in message_logs(caplog)] == [False, True]


def test_a_pronoun_refers_to_the_speaker_of_the_previous_answer(workers, engine):
    """Worker A remembered an answer quoting 杨学山's speech; on worker B, 他的演讲题目 asks
    about him."""
    a, b = workers
    openid = "oPronounUser00000000000000006"
    speech = Passage(
        id="report:yang",
        document="报道",
        source="report.txt",
        section="主题演讲",
        text="杨学山教授在演讲中指出，创新驱动是智慧城市的主题。",
        kind="speech",
        speaker="杨学山",
    )
    previous = Answer(SECOND, True, "…", [Citation(1, speech, 3.0)], 3.0)
    store = a.client.application.extensions["forumbot"].store
    Conversation(store, user_of(a.client.application, openid)).remember(SECOND, previous)

    follow_up = "他的演讲题目是什么？"
    expected = engine.ask("杨学山的演讲题目是什么？").text
    assert engine.ask(follow_up).text != expected  # without the rewrite it would differ
    assert b.text(follow_up, openid=openid).text == expected


def test_a_pronoun_follow_up_end_to_end(workers, engine):
    """The speaker is learnt from a real answer (the question names him, or the cited speech
    is his), then used on the other worker."""
    kb = engine.knowledge
    if "杨学山" not in kb.speakers:
        pytest.skip("this knowledge base does not attribute speeches to speakers")
    a, b = workers
    # a new user each run: what a conversation has shown is kept for its whole length
    openid = f"oPronounUser{uuid.uuid4().hex[:16]}"
    first = a.text(SECOND, openid=openid)
    sent = b.text("他还讲了什么？", openid=openid)
    shown = frozenset(split_sentences(first.text.split("出处", 1)[0]))
    # about him, and what the first answer did not show yet
    assert sent.text == engine.ask("杨学山还讲了什么？", exclude=shown).text
