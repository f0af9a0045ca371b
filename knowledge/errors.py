"""Errors that name the file at fault, so an admin knows what to fix."""


class KnowledgeError(Exception):
    """A knowledge folder or file that cannot be loaded; the serving base stays as it was."""

    def __init__(self, reason: str, path: str | None = None) -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{path}: {reason}" if path else reason)
