"""WeChat's protocol alone: signatures, decryption, parsing and reply XML, the reply byte limit, and the client that plays WeChat against a deployment."""
