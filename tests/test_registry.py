"""The one registry mechanism, checked for every family that uses it."""

from __future__ import annotations

import ast
import importlib
from importlib.util import find_spec
from pathlib import Path

import pytest

import stgan
from stgan.conditioning import CONDITIONS
from stgan.errors import StganError
from stgan.health.detectors import DETECTORS
from stgan.metrics.registry import METRICS
from stgan.nn.discriminators import DISCRIMINATORS
from stgan.nn.generators import GENERATORS
from stgan.registry import Registry
from stgan.stabilization.losses import LOSSES
from stgan.stabilization.noise import NOISE_SCHEDULES
from stgan.stabilization.penalties import PENALTIES

FAMILIES = [
    GENERATORS,
    DISCRIMINATORS,
    LOSSES,
    NOISE_SCHEDULES,
    PENALTIES,
    METRICS,
    DETECTORS,
    CONDITIONS,
]
# The generator-side term registry arrives with the typed options of issue 23; it joins the
# generic tests as soon as its module exists.
if find_spec("stgan.stabilization.gterms") is not None:
    FAMILIES.append(importlib.import_module("stgan.stabilization.gterms").G_TERMS)


# Until the metric registry is one documented file per metric (stgan.metrics.entries, issue
# 23), its entries are private functions without docstrings; strict, so that documenting them
# by any other route shows up too.
def _registries_in_the_source() -> dict[str, Registry]:
    """Every module-level ``NAME = Registry(...)`` in stgan, by its import path."""
    found = {}
    root = Path(stgan.__file__).parent
    for path in sorted(root.rglob("*.py")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.Assign | ast.AnnAssign):
                continue
            call = node.value
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Registry":
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    registry = getattr(importlib.import_module(module), target.id)
                    found[f"{module}.{target.id}"] = registry
    return found


def test_every_registry_in_stgan_is_a_tested_family():
    found = _registries_in_the_source()
    # Known answer: the six families of this tree; later ones (the G terms) come on top.
    assert {
        "stgan.nn.registry.GENERATORS",
        "stgan.nn.registry.DISCRIMINATORS",
        "stgan.stabilization.losses.LOSSES",
        "stgan.stabilization.noise.NOISE_SCHEDULES",
        "stgan.stabilization.penalties.PENALTIES",
        "stgan.metrics.registry.METRICS",
    } <= set(found)
    # A registry someone adds must join FAMILIES, so the generic tests cover it.
    assert {id(r) for r in found.values()} == {id(r) for r in FAMILIES}


@pytest.mark.parametrize("registry", FAMILIES, ids=lambda r: r.kind)
def test_unknown_key_lists_every_valid_key(registry):
    assert registry.keys(), f"no {registry.kind} is registered"
    with pytest.raises(StganError) as err:
        registry.get("no-such-key")
    assert f"unknown {registry.kind} 'no-such-key'" in str(err.value)
    for key in registry.keys():
        assert key in str(err.value)


@pytest.mark.parametrize(
    "registry",
    FAMILIES,
    ids=lambda r: r.kind,
)
def test_every_entry_is_documented(registry):
    for key in registry.keys():
        entry = registry.get(key)
        doc = entry.__doc__ or ""
        # A dataclass without a docstring gets a generated "Name(field=...)": not documentation.
        assert doc.strip() and not doc.startswith(f"{entry.__name__}("), key


def test_duplicate_registration_is_refused():
    reg = Registry("thing")
    reg.register("a")(lambda: 1)
    with pytest.raises(KeyError):
        reg.register("a")(lambda: 2)


def test_a_new_file_in_a_registry_package_is_found(tmp_path, monkeypatch):
    # One remedy, one file: dropping a module into the package registers its entries, with no
    # other file edited; modules whose names start with "_" are not imported.
    pkg = tmp_path / "plugins_demo"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from stgan.registry import Registry\nTHINGS = Registry('thing', package='plugins_demo')\n"
    )
    for name, key in (("alpha", "a"), ("beta", "b"), ("_private", "hidden")):
        (pkg / f"{name}.py").write_text(
            f"from plugins_demo import THINGS\n\n@THINGS.register({key!r})\ndef f():\n"
            f'    """{name}."""\n    return {key!r}\n'
        )
    monkeypatch.syspath_prepend(str(tmp_path))
    from plugins_demo import THINGS

    assert THINGS.keys() == ["a", "b"]
    assert THINGS.build("b") == "b"
    assert "hidden" not in THINGS


def test_build_checks_options():
    reg = Registry("thing")

    @reg.register("f")
    def f(size: int, *, scale: float = 1.0):
        return size * scale

    assert reg.build("f", size=2, scale=3.0) == 6.0
    with pytest.raises(
        StganError, match="thing 'f' has no option 'shape'; its options are: size, scale"
    ):
        reg.build("f", size=2, shape=3)
