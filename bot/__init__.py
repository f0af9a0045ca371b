"""forumbot: a WeChat public-account bot that answers from a folder of documents, with citations.

The parts, top to bottom (README, Layout): bot.web and bot.cli → handlers → bot.chat →
bot.qa and bot.state → knowledge; bot.wechat is the protocol. This package imports none of
them, so importing one part never drags in another.
"""
