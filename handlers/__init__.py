"""Message handlers, one module per family, found through one registry."""
