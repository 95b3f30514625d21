"""The public API's implementations, re-exported by :mod:`stgan`."""
