"""Benchmarks: ``python -m bench`` runs them all, ``python -m bench NAME`` one of them.

Each module here with a ``main(argv)`` function is a benchmark named after the module.
Targets for speed and memory are checked here, never in timed unit tests.
"""
