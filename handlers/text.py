"""Questions: typed text, and voice messages WeChat has already transcribed."""

from __future__ import annotations

from wechatpy.messages import TextMessage, VoiceMessage

from bot.chat.reply import Reply, ReplyKind
from handlers.context import Context
from handlers.registry import handles

VOICE_NOT_RECOGNISED = (
    "收到了语音，但没有拿到识别出的文字。请直接发文字提问；"
    "公众号管理员可以在后台「接口权限」中开启「接收语音识别结果」。"
)


@handles("text")
def on_text(message: TextMessage, ctx: Context) -> Reply:
    return ctx.conversation.respond(ctx.engine, message.content or "")


@handles("voice")
def on_voice(message: VoiceMessage, ctx: Context) -> Reply:
    """With recognition enabled WeChat sends the transcript in ``Recognition``; answer it like
    typed text."""
    recognition = (message.recognition or "").strip()
    if not recognition:
        return Reply(VOICE_NOT_RECOGNISED, ReplyKind.HINT)
    return ctx.conversation.respond(ctx.engine, recognition)
