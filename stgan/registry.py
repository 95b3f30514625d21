"""One tiny string-keyed registry, used by every family (models, losses, metrics, datasets).

Configs name a component by key (``generator: conv3d``) and pass its options as a dict, so
nobody has to know import paths. An unknown key or an unknown option fails with the list of
valid ones.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from stgan.errors import StganError


class Registry:
    """A named table of constructors (classes or functions) keyed by short strings.

    Parameters
    ----------
    kind : str
        What the entries are ("generator", "loss", ...); used in error messages.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Callable[..., Any]] = {}

    def register(self, key: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator that files ``obj`` under ``key``."""

        def decorate(obj: Callable[..., Any]) -> Callable[..., Any]:
            if key in self._entries:
                raise KeyError(f"{self.kind} {key!r} is registered twice")
            self._entries[key] = obj
            return obj

        return decorate

    def keys(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get(self, key: str) -> Callable[..., Any]:
        """The entry for ``key``; an unknown key raises :class:`StganError` listing valid keys."""
        try:
            return self._entries[key]
        except KeyError:
            raise StganError(
                f"unknown {self.kind} {key!r}; valid {self.kind} keys: {', '.join(self.keys())}"
            ) from None

    def build(self, key: str, /, **options: Any) -> Any:
        """Call the entry for ``key`` with ``options``, rejecting options it does not take."""
        factory = self.get(key)
        params = inspect.signature(factory).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        accepted = [n for n, p in params.items() if p.kind is not inspect.Parameter.VAR_POSITIONAL]
        unknown = sorted(set(options) - set(accepted))
        if unknown and not takes_any:
            raise StganError(
                f"{self.kind} {key!r} has no option {', '.join(map(repr, unknown))}; "
                f"its options are: {', '.join(accepted) or '(none)'}"
            )
        return factory(**options)
