"""Conversations and the service behind them: replies, follow-ups, the serving knowledge base, its reloads and the question log."""
