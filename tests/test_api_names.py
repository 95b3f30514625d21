"""The public names of ``stgan``: light to import, each the object of its home module.

``stgan/__init__.py`` re-exports the API lazily (a module ``__getattr__``), so ``import stgan``
costs no torch and no Lightning; these tests hold it to that and to its ``__all__``.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

import stgan

# Where each public name is defined (the docs' API reference points at these modules).
HOMES = {
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

# Imports `stgan` in a fresh interpreter and lists the heavy packages that came with it.
SCRIPT = """
import json, sys
import stgan
heavy = sorted({m.split(".")[0] for m in sys.modules} & {
    "torch", "pytorch_lightning", "lightning", "lightning_fabric", "torchmetrics"})
print(json.dumps({"version": stgan.__version__, "heavy": heavy}))
"""


def test_import_stgan_brings_neither_torch_nor_lightning() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout) == {"version": "0.1.0", "heavy": []}


def test_all_lists_the_api_and_the_version() -> None:
    assert sorted(stgan.__all__) == sorted([*HOMES, "__version__"])
    assert len(set(stgan.__all__)) == len(stgan.__all__)


@pytest.mark.parametrize("name", sorted(HOMES))
def test_each_name_is_the_object_of_its_home_module(name: str) -> None:
    home = importlib.import_module(HOMES[name])
    assert getattr(stgan, name) is getattr(home, name)
    # Functions and classes say where they live, so the reference and tracebacks agree.
    assert getattr(stgan, name).__module__ == HOMES[name]


def test_dir_is_the_public_api() -> None:
    assert dir(stgan) == sorted(stgan.__all__)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'stgan' has no attribute 'sample'"):
        stgan.sample  # noqa: B018  (the look-up is the test)
    assert not hasattr(stgan, "generate")
    # ... and a module-level `from stgan import <unknown>` fails as Python's own does.
    with pytest.raises(ImportError, match="cannot import name 'train'"):
        exec("from stgan import train", {})
