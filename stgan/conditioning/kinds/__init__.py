"""Condition kinds, one module each; see :mod:`stgan.conditioning` for the table."""
