"""The condition kinds' base class, and :class:`Conditions`: the kinds a model was trained with.

A model's conditions are described by a plain spec (``{"channels": C, "grid": [H, W],
"items": [{"name": "coords"}, {"name": "calendar", "hours": False}, ...]}``), which the data
module derives from ``data.conditions`` and ``stgan fit`` links into the model's
hyper-parameters. The model builds :class:`Conditions` from it; the fitted fields are buffers,
saved in the checkpoint, so a sampler rebuilds the same channels without the data.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from stgan.conditioning import CONDITIONS
from stgan.conditioning.place import Place
from stgan.errors import StganError

# Channels of the generator's conditioning layers (stgan.conditioning.network), recorded in
# every spec so that a checkpoint's weights fit whatever the default becomes.
WIDTH = 16


class Condition(nn.Module):
    """One kind of condition: ``k`` channels computed from where and when windows lie.

    A kind is a subclass in its own module of :mod:`stgan.conditioning.kinds`, registered with
    ``@CONDITIONS.register("key")`` and built as ``Kind(channels=C, grid=(H, W), **options)``.

    Parameters
    ----------
    channels : int
        The data's variables C.
    grid : tuple of int
        The full grid (H, W) the windows are cut from.
    """

    k: int = 0
    # A kind whose channels are the C known values followed by a 1-on-known indicator: G's
    # output takes the known values there (:meth:`Conditions.known_offsets`).
    copies_through: bool = False
    # A kind computed from the data themselves (Place.field): sampling needs them given.
    from_data: bool = False

    def __init__(self, channels: int, grid: tuple[int, int]) -> None:
        super().__init__()
        self.channels = int(channels)
        self.grid = (int(grid[0]), int(grid[1]))

    @classmethod
    def options_for(cls, data: Any) -> dict[str, Any]:
        """Options this kind derives from the data module ``data``; raises if it cannot serve it."""
        return {}

    @classmethod
    def check(cls, item: dict[str, Any], data: Any) -> None:
        """Refuse options ``item`` (with the defaults of :meth:`options_for`) ``data`` cannot serve."""

    def fill(self, data: Any) -> None:
        """Take what this kind needs from the training data (a ``SpaceTimeDataModule``)."""

    def forward(self, place: Place, window: tuple[int, int, int]) -> torch.Tensor:
        """(B, k, T, H, W) channels of windows of ``window`` (T, H, W) at ``place``."""
        raise NotImplementedError


def parse_conditions(conditions: list[Any] | str | None) -> list[dict[str, Any]]:
    """``data.conditions`` as a list of ``{"name": key, **options}``; unknown keys refused."""
    if conditions is None:
        return []
    if isinstance(conditions, str):
        conditions = [c.strip() for c in conditions.split(",") if c.strip()]
    items = []
    for entry in conditions:
        item = {"name": entry} if isinstance(entry, str) else dict(entry)
        if not isinstance(item.get("name"), str):
            raise StganError(
                f"data.conditions entries are names or {{name: ..., options}}, got {entry!r}; "
                f"e.g. [coords, calendar]; keys: {', '.join(CONDITIONS.keys())}"
            )
        CONDITIONS.get(item["name"])  # unknown: the list of keys
        if any(i["name"] == item["name"] for i in items):
            raise StganError(f"data.conditions names {item['name']!r} twice; give it once")
        items.append(item)
    return items


class Conditions(nn.Module):
    """The conditions of one model: every kind's channels, concatenated in spec order.

    Parameters
    ----------
    spec : dict
        ``{"channels": C, "grid": [H, W], "items": [{"name": key, **options}, ...]}``.
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__()
        self.spec = spec
        channels, grid = int(spec["channels"]), tuple(spec["grid"])
        self.kinds = nn.ModuleList(
            CONDITIONS.build(
                item["name"],
                channels=channels,
                grid=grid,
                **{k: v for k, v in item.items() if k != "name"},
            )
            for item in spec["items"]
        )
        self.register_buffer("filled", torch.tensor(False))

    @property
    def k(self) -> int:
        """Channels in all."""
        return sum(kind.k for kind in self.kinds)

    @property
    def width(self) -> int:
        """Channels of the generator's conditioning layers, as the spec records them."""
        return int(self.spec.get("width", WIDTH))

    @property
    def names(self) -> list[str]:
        """The kinds' keys, in order."""
        return [item["name"] for item in self.spec["items"]]

    def describe(self) -> str:
        """One line, e.g. ``"coords (4), calendar (2): 6 channels"``."""
        parts = ", ".join(f"{n} ({kind.k})" for n, kind in zip(self.names, self.kinds))
        return f"{parts}: {self.k} channels"

    @property
    def from_data(self) -> bool:
        """Whether any kind is computed from known values of the windows (a task's)."""
        return any(kind.from_data for kind in self.kinds)

    def known_offsets(self) -> tuple[int, ...]:
        """Where the channels of each kind that :attr:`~Condition.copies_through` start."""
        offsets, start = [], 0
        for kind in self.kinds:
            if kind.copies_through:
                offsets.append(start)
            start += kind.k
        return tuple(offsets)

    def fill(self, data: Any) -> None:
        """Fit every kind's fields on the training data (once; a loaded model has them)."""
        for kind in self.kinds:
            kind.fill(data)
        self.filled.fill_(True)

    def forward(self, place: Place, window: tuple[int, int, int]) -> torch.Tensor:
        """(B, K, T, H, W) float32 channels of windows of ``window`` at ``place``."""
        place = place.to(self.filled.device)
        return torch.cat([kind(place, tuple(window)).float() for kind in self.kinds], dim=1)
