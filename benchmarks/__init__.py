"""stgan's benchmark scripts; ``python -m benchmarks.all`` runs the speed benchmarks together.

Each script also runs on its own as ``python benchmarks/NAME.py`` (they import one another as
top-level modules, from this folder).
"""
