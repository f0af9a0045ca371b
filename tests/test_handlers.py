"""The handler registry and the menu file an operator edits."""

from __future__ import annotations

import pytest

from handlers import REGISTRY, events, find_handler, media, message_key, text
from handlers.menu import MenuError, load_menu
from tests.conftest import PERSONA_FILE


@pytest.mark.parametrize(
    ("msg_type", "event", "key"),
    [
        ("text", None, "text"),
        ("TEXT", None, "text"),
        ("event", "CLICK", "event:click"),
        ("event", "subscribe", "event:subscribe"),
        ("event", None, "event:"),
    ],
)
def test_the_registry_key_is_the_type_or_the_event(msg_type, event, key):
    assert message_key(msg_type, event) == key


def test_every_family_has_its_handler():
    assert REGISTRY["text"] is text.on_text
    assert REGISTRY["voice"] is text.on_voice
    assert REGISTRY["event:subscribe"] is REGISTRY["event:scan"] is events.on_subscribe
    assert REGISTRY["event:unsubscribe"] is events.on_unsubscribe
    assert REGISTRY["event:click"] is events.on_click
    for kind in ("image", "location", "link", "video", "shortvideo", "file"):
        assert REGISTRY[kind] is media.on_unsupported


def test_unlisted_events_get_no_reply_and_unlisted_messages_the_polite_note():
    assert REGISTRY["event:*"] is events.on_other_event
    assert REGISTRY["*"] is media.on_unsupported
    assert find_handler("event:user_info_modified") is events.on_other_event
    assert find_handler("hologram") is media.on_unsupported


def test_the_shipped_menu_loads_and_its_examples_are_questions():
    menu = load_menu(PERSONA_FILE)
    assert "论坛" in menu.welcome
    assert menu.questions
    assert all(q.endswith("？") for q in menu.questions.values())


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("welcome = ", "not valid TOML"),
        ("[questions]\nA = 'q'", "'welcome'"),
        ("welcome = 'hi'\nquestions = 3", "[questions]"),
        ("welcome = 'hi'\n[questions]\n'bad key!' = 'q'", "not a valid WeChat event key"),
        ("welcome = 'hi'\n[questions]\nA = ''", "needs a question"),
        ("welcome = '" + "长" * 700 + "'", "2048 bytes"),
    ],
)
def test_a_broken_menu_file_is_reported_at_startup(tmp_path, content, error):
    path = tmp_path / "menu.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(MenuError, match=error.replace("[", r"\[")):
        load_menu(path)


def test_a_missing_menu_file_is_reported(tmp_path):
    with pytest.raises(MenuError, match="cannot read"):
        load_menu(tmp_path / "absent.toml")


def test_a_message_key_claimed_twice_is_refused_when_the_handler_is_registered():
    from handlers.registry import handles

    with pytest.raises(ValueError, match="'text' is handled by on_text already"):
        handles("text")(lambda message, ctx: None)
    assert REGISTRY["text"] is text.on_text
