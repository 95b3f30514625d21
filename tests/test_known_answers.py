"""Every registered remedy and metric has a known-answer test: a new penalty, loss, noise
schedule, generator term or metric without one fails here.

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

from stgan.metrics.registry import METRICS
from stgan.stabilization.gterms import G_TERMS
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
    "generator term": {
        "mode_seeking": "test_gterms::test_mode_seeking_of_a_constant_generator_is_one_over_epsilon",
        "spectral_matching": "test_gterms::"
        "test_spectral_matching_is_zero_for_the_data_and_log_power_ratio_squared_for_twice_it",
        "info": "test_gterms::test_info_term_of_an_uninformed_classifier_is_log_k",
    },
    "metric": {
        "spectrum": "test_metric_known_answers::test_spectrum_of_twice_the_field_is_six_db_away",
        "tpsd": "test_metric_known_answers::test_tpsd_of_twice_the_field_is_six_db_away",
        "acf": "test_metric_known_answers::test_acf_of_two_sign_patterns_by_hand",
        "distribution": "test_metric_known_answers::"
        "test_distribution_of_a_shifted_field_is_the_shift",
        "gridpoint": "test_metric_known_answers::"
        "test_gridpoint_distances_of_a_shifted_field_are_the_shift",
        "increments": "test_metric_known_answers::"
        "test_increments_ignore_a_shift_and_double_with_the_field",
        "diversity": "test_metric_known_answers::"
        "test_diversity_ratio_scales_with_the_field_and_is_zero_for_copies",
        "prdc": "test_metric_known_answers::test_prdc_of_the_real_set_itself",
        "memorisation": "test_metric_known_answers::test_memorisation_of_copied_training_windows",
        "waves": "test_metric_units::test_waves_coverage_through_the_registry",
    },
}
REGISTRIES = {
    "penalty": PENALTIES,
    "loss": LOSSES,
    "noise schedule": NOISE_SCHEDULES,
    "generator term": G_TERMS,
    "metric": METRICS,
}


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
