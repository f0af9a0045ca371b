"""Events: following, unfollowing, menu clicks. Only what a user did on purpose gets a reply."""

from __future__ import annotations

import logging

from wechatpy.events import BaseEvent, ClickEvent

from bot.chat.reply import NO_REPLY, Reply, ReplyKind
from handlers.context import Context
from handlers.registry import ANY_EVENT, handles

log = logging.getLogger(__name__)


@handles("event:subscribe", "event:scan")
def on_subscribe(event: BaseEvent, ctx: Context) -> Reply:
    """A new follower (also one who followed by scanning a QR code, and a follower scanning
    one again): the welcome with example questions."""
    return Reply(ctx.menu.welcome, ReplyKind.WELCOME)


@handles("event:unsubscribe")
def on_unsubscribe(event: BaseEvent, ctx: Context) -> Reply:
    """Nobody reads a reply to an unfollow; drop what we kept about the user instead."""
    ctx.conversation.forget()
    return NO_REPLY


@handles("event:click")
def on_click(event: ClickEvent, ctx: Context) -> Reply:
    """A menu button asks its preset question, exactly as if the user had typed it."""
    # a key with elements of its own is no key of our menu (wechatpy hands them on as dicts)
    key = event.key if isinstance(event.key, str) else ""
    question = ctx.menu.questions.get(key)
    if question is None:
        log.warning("menu key %r is not in the menu file", event.key)
        return Reply(ctx.replies.menu_key_unknown, ReplyKind.HINT)
    return ctx.conversation.respond(ctx.engine, question)


@handles("event:view", ANY_EVENT)
def on_other_event(event: BaseEvent, ctx: Context) -> Reply:
    """VIEW (a menu link was opened), LOCATION reports, template/mass-send results, …"""
    return NO_REPLY
