"""One tiny string-keyed registry, used by every family (models, losses, metrics, datasets).

Configs name a component by key (``generator: conv3d``) and pass its options as a dict, so
nobody has to know import paths. An unknown key or an unknown option fails with the list of
valid ones.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from typing import Any

from stgan.errors import StganError, UnknownNameError


class Registry:
    """A named table of constructors (classes or functions) keyed by short strings.

    Parameters
    ----------
    kind : str
        What the entries are ("generator", "loss", ...); used in error messages.
    package : str, optional
        A package whose every module registers entries (one remedy, one file). Its modules are
        imported on first lookup, so a new file in it is found without editing any other.
    """

    def __init__(self, kind: str, *, package: str | None = None) -> None:
        self.kind = kind
        self.package = package
        self._entries: dict[str, Callable[..., Any]] = {}
        self._discovered = package is None

    def _discover(self) -> None:
        """Import every module of :attr:`package` once (each registers its entries)."""
        if self._discovered:
            return
        self._discovered = True
        root = importlib.import_module(self.package)
        for module in pkgutil.iter_modules(root.__path__):
            if not module.name.startswith("_"):
                importlib.import_module(f"{self.package}.{module.name}")

    def register(self, key: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator that files ``obj`` under ``key``."""

        def decorate(obj: Callable[..., Any]) -> Callable[..., Any]:
            if key in self._entries:
                raise KeyError(f"{self.kind} {key!r} is registered twice")
            self._entries[key] = obj
            return obj

        return decorate

    def keys(self) -> list[str]:
        """The registered keys, sorted."""
        self._discover()
        return sorted(self._entries)

    def __contains__(self, key: object) -> bool:
        self._discover()
        return key in self._entries

    def get(self, key: str) -> Callable[..., Any]:
        """The entry for ``key``; an unknown key raises
        :class:`~stgan.errors.UnknownNameError` listing the valid keys."""
        self._discover()
        try:
            return self._entries[key]
        except KeyError:
            raise UnknownNameError(
                f"unknown {self.kind} {key!r}; valid {self.kind} keys: {', '.join(self.keys())}"
            ) from None

    def build(self, key: str, /, **options: Any) -> Any:
        """Call the entry for ``key`` with ``options``, rejecting options it does not take."""
        return call_checked(self.get(key), f"{self.kind} {key!r}", options)


def call_checked(factory: Callable[..., Any], label: str, options: dict[str, Any]) -> Any:
    """``factory(**options)``, refusing options it does not take with a :class:`StganError`
    that names ``label`` (e.g. ``"loss 'hinge'"``) and lists the options it does take."""
    params = inspect.signature(factory).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    accepted = [
        n
        for n, p in params.items()
        if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    unknown = sorted(set(options) - set(accepted))
    if unknown and not takes_any:
        raise StganError(
            f"{label} has no option {', '.join(map(repr, unknown))}; "
            f"its options are: {', '.join(accepted) or '(none)'}"
        )
    return factory(**options)
