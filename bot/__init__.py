"""forumbot: answers questions about the 11th China E-Government Summit Forum, with citations."""

from bot.app import create_app

__all__ = ["create_app"]
