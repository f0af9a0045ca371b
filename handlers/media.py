"""Messages the bot cannot read (images, locations, links, video, files, anything new):
a polite note saying what it can do, so the user is never left without a reply."""

from __future__ import annotations

from wechatpy.messages import BaseMessage

from bot.chat.reply import Reply, ReplyKind
from handlers.context import Context
from handlers.registry import ANY_MESSAGE, handles

CAN_ONLY_READ_TEXT = (
    "抱歉，我暂时看不懂这类消息。我回答关于第十一届中国电子政务高峰论坛的问题，"
    "请用文字（或语音）提问，例如：论坛在哪里举行？"
)


@handles("image", "location", "link", "video", "shortvideo", "file", ANY_MESSAGE)
def on_unsupported(message: BaseMessage, ctx: Context) -> Reply:
    return Reply(CAN_ONLY_READ_TEXT, ReplyKind.UNSUPPORTED)
