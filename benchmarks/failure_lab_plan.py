"""What the failure-mode lab runs: its configurations, datasets and the options of each.

:data:`LAB` lists the configurations (preset overlays on ``configs/demo.yaml``), :data:`DATA` the
``stgan make-data`` options of each dataset, :data:`DATASET_FIT` and :data:`QUICK_FIT` the extra
``stgan fit`` options, :data:`CHECKPOINT` which checkpoint is evaluated. ``failure_lab.py`` runs
them; ``failure_lab_table.py`` reads the results.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"

# (name, preset overlays on configs/demo.yaml joined by "+", each a --config in turn, what it is)
LAB: list[tuple[str, str, str]] = [
    ("vanilla", "vanilla", "saturating minimax, 2 G steps per D step (Helvetica, seed 000)"),
    ("nonsaturating", "nonsaturating", "non-saturating loss, 1:1"),
    ("wgan-gp", "wgan-gp", "Wasserstein + gradient penalty, n_critic 5"),
    ("hinge-sn-r1", "hinge-sn-r1", "hinge + spectral norm + R1 + EMA"),
    ("ns-instance-noise", "ns-instance-noise", "non-saturating + instance noise + label smoothing"),
    ("unrolled", "unrolled", "non-saturating, D unrolled 5 steps"),
    (
        "latent-vector",
        "hinge-sn-r1+latent-vector",
        "hinge-sn-r1, G drawing from a latent vector of 128",
    ),
    (
        "spectral-matching",
        "hinge-sn-r1+latent-vector+spectral-matching",
        "hinge-sn-r1, latent vector, + spectral matching (weight 1)",
    ),
    (
        "recommended",
        "recommended",
        "hinge-sn-r1, latent vector, self-conditioning on 16 spectral clusters (2 codes each, "
        "turned round in time where reversed), spectral matching",
    ),
]
RECOMMENDED = "recommended"
# On waves every row's G already draws from a latent vector (DATASET_FIT), so this row would
# repeat hinge-sn-r1 there: it runs on grf only.
GRF_ONLY = {"latent-vector"}

# make-data options per dataset: (training file, held-out file), full size and quick.
DATA = {
    "full": {
        "waves": (
            ["--time", "1024", "--height", "16", "--width", "16"],
            ["--time", "512", "--height", "16", "--width", "16", "--seed", "1"],
        ),
        "grf": (["--time", "512"], ["--time", "256", "--seed", "1"]),
    },
    "quick": {
        "waves": (
            ["--time", "256", "--height", "16", "--width", "16"],
            ["--time", "128", "--height", "16", "--width", "16", "--seed", "1"],
        ),
        "grf": (
            ["--time", "128", "--height", "16", "--width", "16"],
            ["--time", "64", "--height", "16", "--width", "16", "--seed", "1"],
        ),
    },
}
# Extra `stgan fit` options per dataset. A wave of one direction and phase across the whole
# window is a global structure: the generator draws it from a latent vector projected onto
# its coarse grid (conv3d's latent_vector), not from a grid of local latents (see Conv3dGenerator).
# The option replaces the whole dict, so it is the demo's generator options plus that one.
DEMO_G = yaml.safe_load((CONFIGS / "demo.yaml").read_text())["model"]["generator"]["options"]
DATASET_FIT = {
    "waves": ["--model.generator_options", json.dumps({**DEMO_G, "latent_vector": 64})],
    "grf": [],
}
# The checkpoint evaluated per dataset: the best by in-training domain score on grf; on waves
# the final one, because that score (radially averaged spectrum, ACF, W1) cannot see a wave's
# direction or coherence and prefers the blurred generators of early training.
CHECKPOINT = {"waves": "last", "grf": "best"}
QUICK_FIT = [
    "--data.window_length",
    "4",
    "--data.batch_size",
    "4",
    "--metrics.num_samples",
    "8",
    "--metrics.every_n_steps",
    "2",
]
