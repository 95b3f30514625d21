"""Every registered remedy has a known-answer test: a new penalty, loss or noise schedule
without one fails here.

Each table maps a registry key to the test that checks its value on inputs where the answer
is computable by hand; the test must exist and name the key (in its source or in the values it
is parametrized over).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap

import pytest

from stgan.stabilization.losses import LOSSES
from stgan.stabilization.noise import NOISE_SCHEDULES
from stgan.stabilization.penalties import PENALTIES

LOSS_FORMULA = "test_losses::test_loss_equals_formula"
SCHEDULE_VALUES = "test_stabilization::test_noise_schedule_values"

KNOWN_ANSWER_TESTS = {
    "penalty": {
        "gp": "test_regularizers::test_unit_gradient_penalties_of_a_linear_critic",
        "dragan": "test_regularizers::test_unit_gradient_penalties_of_a_linear_critic",
        "r1": "test_regularizers::test_r1_r2_of_a_linear_critic_are_half_gamma_norm_squared",
        "r2": "test_regularizers::test_r1_r2_of_a_linear_critic_are_half_gamma_norm_squared",
        "cr": "test_regularizers::test_consistency_penalty_of_a_linear_critic",
        "clip": "test_regularizers::test_weight_clipping_bounds_every_discriminator_weight",
    },
    "loss": {
        "minimax": LOSS_FORMULA,
        "nonsaturating": LOSS_FORMULA,
        "hinge": LOSS_FORMULA,
        "wgan": LOSS_FORMULA,
        "lsgan": LOSS_FORMULA,
        "ragan": LOSS_FORMULA,
    },
    "noise schedule": {
        "constant": SCHEDULE_VALUES,
        "linear": SCHEDULE_VALUES,
        "exponential": SCHEDULE_VALUES,
        "cosine": SCHEDULE_VALUES,
    },
}
REGISTRIES = {"penalty": PENALTIES, "loss": LOSSES, "noise schedule": NOISE_SCHEDULES}


def _strings_named_by(test) -> set[str]:
    """String constants in ``test``'s source (decorators included) and its parameter values."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(test)))
    names = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    for mark in getattr(test, "pytestmark", []):
        if mark.name == "parametrize":
            for value in mark.args[1]:
                value = getattr(value, "values", value)  # pytest.param(...) → its values
                names.update(value if isinstance(value, tuple) else (value,))
    return {n for n in names if isinstance(n, str)}


@pytest.mark.parametrize("kind", sorted(REGISTRIES))
def test_every_registered_remedy_has_a_known_answer_test(kind):
    assert sorted(KNOWN_ANSWER_TESTS[kind]) == REGISTRIES[kind].keys(), (
        f"every {kind} needs a known-answer test, listed in KNOWN_ANSWER_TESTS"
    )


@pytest.mark.parametrize(
    ("kind", "key", "where"),
    [
        (kind, key, where)
        for kind, table in KNOWN_ANSWER_TESTS.items()
        for key, where in table.items()
    ],
    ids=lambda v: str(v).split("::")[-1],
)
def test_each_listed_test_exists_and_names_its_key(kind, key, where):
    # pytest puts tests/ on sys.path (rootdir-less "prepend" import), so a test module imports
    # by its file name; an already collected one is not imported twice.
    module, name = where.split("::")
    test = getattr(importlib.import_module(module), name, None)
    assert callable(test), f"{where} does not exist"
    assert key in _strings_named_by(test), f"{where} does not test the {kind} {key!r}"
