"""Every registered remedy and metric has a known-answer test: a new penalty, loss, noise
schedule, generator term or metric without one fails here.

A known-answer test checks an entry's value on inputs where the answer is computable by hand,
and says so with ``@pytest.mark.known_answer(KIND, KEY, ...)`` (KIND: the registry's kind).
This file reads every test module's source for those marks, so adding a remedy means its file
and its marked test, nothing else; a marked test must also name its keys (in its body, its
parameters or its module's top-level tables), so a mark cannot stand on an unrelated test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from stgan.metrics.registry import METRICS
from stgan.stabilization.gterms import G_TERMS
from stgan.stabilization.losses import LOSSES
from stgan.stabilization.noise import NOISE_SCHEDULES
from stgan.stabilization.penalties import PENALTIES

REGISTRIES = {r.kind: r for r in (PENALTIES, LOSSES, NOISE_SCHEDULES, G_TERMS, METRICS)}
TESTS = Path(__file__).parent


def _is_known_answer_mark(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "known_answer"
    )


def marked_tests(folder: Path = TESTS) -> list[tuple[str, str, list[str], set[str]]]:
    """(``module::test``, kind, keys, strings the test names) of every marked test in ``folder``.

    The strings are the constants in the test's body, its other decorators (parametrize
    values) and its module's top-level assignments (tables it is parametrized over), without
    the mark itself.
    """
    found = []
    for path in sorted(folder.glob("test_*.py")):
        tree = ast.parse(path.read_text())
        tables = [n for n in tree.body if isinstance(n, ast.Assign | ast.AnnAssign)]
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            marks = [d for d in node.decorator_list if _is_known_answer_mark(d)]
            others = [d for d in node.decorator_list if not _is_known_answer_mark(d)]
            named = {
                n.value
                for part in (*node.body, *others, *tables)
                for n in ast.walk(part)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            }
            for mark in marks:
                kind, *keys = (ast.literal_eval(a) for a in mark.args)
                found.append((f"{path.stem}::{node.name}", kind, keys, named))
    return found


def test_marked_tests_are_found_in_source():
    # Known: one test in the real modules, the loss formula test, covers all six losses.
    where = {w: keys for w, kind, keys, _ in marked_tests() if kind == "loss"}
    assert where == {
        "test_losses::test_loss_equals_formula": [
            "minimax",
            "nonsaturating",
            "hinge",
            "wgan",
            "lsgan",
            "ragan",
        ]
    }


def test_a_registry_entry_without_a_marked_test_is_missed(tmp_path):
    (tmp_path / "test_demo.py").write_text(
        "import pytest\n\n"
        '@pytest.mark.known_answer("penalty", "gp")\n'
        "def test_gp():\n"
        '    assert compute("gp") == 1\n'
    )
    ((where, kind, keys, named),) = marked_tests(tmp_path)
    assert (where, kind, keys) == ("test_demo::test_gp", "penalty", ["gp"])
    assert "gp" in named and set(PENALTIES.keys()) - set(keys)  # r1 etc. would be missing


@pytest.mark.parametrize("kind", sorted(REGISTRIES))
def test_every_registered_entry_has_a_known_answer_test(kind):
    covered = {k for _, kd, keys, _ in marked_tests() if kd == kind for k in keys}
    assert sorted(covered) == REGISTRIES[kind].keys(), (
        f"every {kind} needs a test marked @pytest.mark.known_answer({kind!r}, KEY)"
    )


def test_every_marked_test_names_its_keys_and_a_registered_kind():
    for where, kind, keys, named in marked_tests():
        assert kind in REGISTRIES, f"{where}: unknown kind {kind!r}"
        for key in keys:
            assert key in named, f"{where} is marked for the {kind} {key!r} but never names it"
