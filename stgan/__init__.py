"""stgan: generative adversarial networks for gridded space-time data.

The public API, for notebooks and scripts; the ``stgan`` command wraps the same functions::

    import stgan
    ds = stgan.open_dataset("sst.nc")                   # what training reads
    run = stgan.fit(ds, config="recommended")           # -> Run (checkpoint, health, metrics)
    samples = stgan.load(run.checkpoint).sample(8)      # -> xr.Dataset in physical units
    stgan.evaluate(ds, samples)                         # -> Evaluation (metrics, figures, HTML)

Names are imported on first use, so ``import stgan`` stays light (no torch, no Lightning).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_HOMES = {
    "open_dataset": "stgan.api.data",
    "survey": "stgan.api.survey",
    "Survey": "stgan.api.survey",
    "fit": "stgan.api.run",
    "Run": "stgan.api.run",
    "load": "stgan.api.model",
    "Model": "stgan.api.model",
    "evaluate": "stgan.api.evaluation",
    "Evaluation": "stgan.api.evaluation",
    "StganError": "stgan.errors",
}

__all__ = [
    "Evaluation",
    "Model",
    "Run",
    "StganError",
    "Survey",
    "__version__",
    "evaluate",
    "fit",
    "load",
    "open_dataset",
    "survey",
]

if TYPE_CHECKING:
    from stgan.api.data import open_dataset
    from stgan.api.evaluation import Evaluation, evaluate
    from stgan.api.model import Model, load
    from stgan.api.run import Run, fit
    from stgan.api.survey import Survey, survey
    from stgan.errors import StganError


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'stgan' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
