"""``python -m bot``: the command line, the console and the evaluation of the QA sets."""
