"""Questions: typed text, and voice messages WeChat has already transcribed."""

from __future__ import annotations

from wechatpy.messages import TextMessage, VoiceMessage

from bot.chat.reply import Reply, ReplyKind
from handlers.context import Context
from handlers.registry import handles


@handles("text")
def on_text(message: TextMessage, ctx: Context) -> Reply:
    return ctx.conversation.respond(ctx.engine, message.content or "")


@handles("voice")
def on_voice(message: VoiceMessage, ctx: Context) -> Reply:
    """With recognition enabled WeChat sends the transcript in ``Recognition``; answer it like
    typed text."""
    recognition = (message.recognition or "").strip()
    if not recognition:
        return Reply(ctx.replies.voice_not_recognised, ReplyKind.HINT)
    return ctx.conversation.respond(ctx.engine, recognition)
