"""Reading a question and composing the cited answer from a knowledge base: pure functions, no I/O but the word lists."""
