"""The one registry mechanism, checked for every family that uses it."""

from __future__ import annotations

import pytest

from stgan.errors import StganError
from stgan.nn.discriminators import DISCRIMINATORS
from stgan.nn.generators import GENERATORS
from stgan.registry import Registry
from stgan.stabilization.losses import LOSSES

FAMILIES = [GENERATORS, DISCRIMINATORS, LOSSES]


@pytest.mark.parametrize("registry", FAMILIES, ids=lambda r: r.kind)
def test_unknown_key_lists_every_valid_key(registry):
    with pytest.raises(StganError) as err:
        registry.get("no-such-key")
    assert f"unknown {registry.kind} 'no-such-key'" in str(err.value)
    for key in registry.keys():
        assert key in str(err.value)


@pytest.mark.parametrize("registry", FAMILIES, ids=lambda r: r.kind)
def test_every_entry_is_documented(registry):
    for key in registry.keys():
        entry = registry.get(key)
        assert entry.__doc__ or entry.__module__.endswith("losses"), key


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
