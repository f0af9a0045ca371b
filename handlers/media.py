"""Messages the bot cannot read (images, locations, links, video, files, anything new):
a polite note saying what it can do, so the user is never left without a reply."""

from __future__ import annotations

from wechatpy.messages import BaseMessage

from bot.chat.reply import Reply, ReplyKind
from handlers.context import Context
from handlers.registry import ANY_MESSAGE, handles


@handles("image", "location", "link", "video", "shortvideo", "file", ANY_MESSAGE)
def on_unsupported(message: BaseMessage, ctx: Context) -> Reply:
    return Reply(ctx.replies.can_only_read_text, ReplyKind.UNSUPPORTED)
