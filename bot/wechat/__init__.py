"""WeChat's side of the conversation alone: its reply byte limit and the client that plays WeChat against a deployment."""
