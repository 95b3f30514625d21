"""Every public definition under stgan/ has a docstring (the API reference is built from them).

The rule, read from the source with ``ast`` (nothing is imported):

- every module-level function and class whose name does not start with ``_``, in every module
  (private modules such as ``penalties/_gradient_norm.py`` too: their classes are public bases);
- every method of such a class (nested classes included) whose name does not start with
  ``_``, overrides of Lightning or torch hooks (``forward``, ``on_fit_start``, ...) included:
  they say what *this* class does there;
- properties count as methods: a property is public API and shows in the reference;
- dunder methods, ``__init__`` included, are exempt: a numpydoc class documents its
  constructor's parameters in the class docstring, which the first rule requires;
- definitions inside a function body are not API and are not checked.

A docstring is ``ast.get_docstring`` of the definition, and it must hold text.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "stgan"


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _public_definitions(body: list[ast.stmt], prefix: str = ""):
    """(qualified name, node) of every public definition in ``body`` under the module's rule."""
    for node in body:
        if isinstance(node, ast.If | ast.Try):  # `if TYPE_CHECKING:` / try-import blocks
            blocks = [node.body, node.orelse]
            if isinstance(node, ast.Try):
                blocks += [node.finalbody, *(h.body for h in node.handlers)]
            for block in blocks:
                yield from _public_definitions(block, prefix)
            continue
        if not isinstance(node, _DEFS) or node.name.startswith("_"):
            continue  # private, or dunder (dunders start with "_")
        yield prefix + node.name, node
        if isinstance(node, ast.ClassDef):
            yield from _public_definitions(node.body, f"{prefix}{node.name}.")


def undocumented(source: str, where: str) -> set[str]:
    """``where:qualname`` of each public definition in ``source`` without a docstring."""
    missing = set()
    for qualname, node in _public_definitions(ast.parse(source).body):
        doc = ast.get_docstring(node)
        if not (doc and doc.strip()):
            missing.add(f"{where}:{qualname}")
    return missing


def _undocumented_in_stgan() -> set[str]:
    missing: set[str] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        missing |= undocumented(path.read_text(encoding="utf-8"), where)
    return missing


def test_every_public_definition_in_stgan_has_a_docstring():
    missing = _undocumented_in_stgan()
    assert not missing, "document these (numpydoc): " + ", ".join(sorted(missing))


def test_the_rule_on_a_known_module():
    source = '''
"""A module."""
def documented():
    """Yes."""
def bare():
    pass
def _private():
    pass
class Shown:
    """A class."""
    def __init__(self):
        pass
    def __len__(self):
        return 0
    @property
    def size(self):
        return 1
    def method(self):
        """Documented."""
    def _helper(self):
        pass
    class Inner:
        def run(self):
            pass
class Bare:
    def __init__(self):
        pass
class _Hidden:
    def public_of_private(self):
        pass
def outer():
    """Documented."""
    def inner():
        pass
if True:
    def conditional():
        pass
def blank():
    """   """
'''
    # Known answer: the bare function, the undocumented property, the nested class and its
    # method, the undocumented class, the conditional def and the blank docstring; not the
    # private names, the dunders, the private class's method or the function's inner def.
    assert undocumented(source, "m.py") == {
        "m.py:bare",
        "m.py:Shown.size",
        "m.py:Shown.Inner",
        "m.py:Shown.Inner.run",
        "m.py:Bare",
        "m.py:conditional",
        "m.py:blank",
    }


def test_removing_a_docstring_from_the_tree_is_caught():
    # A real file of stgan with one docstring taken out: the checker names that definition.
    path = PACKAGE / "stabilization" / "losses.py"
    source = path.read_text(encoding="utf-8")
    assert undocumented(source, "losses.py") == set()
    doc = '"""``−E[f]`` from D\'s scores ``fake`` (B,); ``real`` is not read."""'
    assert source.count(doc) == 1  # Hinge.generator's
    stripped = source.replace(doc, "pass")
    assert undocumented(stripped, "losses.py") == {"losses.py:Hinge.generator"}
