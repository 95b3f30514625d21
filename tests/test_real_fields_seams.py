"""The seam statistic on known answers: hard seams are found, blended patches and untiled
fields are not."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from real_fields_seams import axis_seam, seam_wavenumbers  # noqa: E402

from stgan.tiling import blend, default_overlap, tile_starts, tiles  # noqa: E402

W, H, N, PATCH = 432, 6, 200, 32  # the ostia layout
OVERLAP = default_overlap(PATCH)  # 16: 27 patches round the globe


def _fields(rng: np.random.Generator, n: int = N) -> np.ndarray:
    """(n, H, W) periodic random fields with a red (k^-1.5 amplitude) spectrum along x."""
    k = np.fft.rfftfreq(W, 1 / W)
    amp = np.where(k > 0, (1 + k) ** -1.5, 0)
    phases = rng.standard_normal((n, H, len(k))) + 1j * rng.standard_normal((n, H, len(k)))
    x = np.fft.irfft(amp * phases, n=W, axis=-1)
    return x / x.std()


def test_seam_wavenumbers_are_the_patch_count_and_its_harmonics():
    starts = tile_starts(W, PATCH, 8, periodic=True)
    assert len(starts) == 18
    assert seam_wavenumbers(W, starts, periodic=True) == list(range(18, 217, 18))
    assert len(tile_starts(W, PATCH, OVERLAP, periodic=True)) == 27


def test_hard_seams_show_and_blended_patches_do_not():
    rng = np.random.default_rng(0)
    real = _fields(rng)
    starts = tile_starts(W, PATCH, OVERLAP, periodic=True)
    # Independent fields side by side in 16-cell blocks: a jump at every patch edge.
    hard = np.concatenate([_fields(rng)[..., s : s + 16] for s in range(0, W, 16)], axis=-1)
    found = axis_seam(hard, real, -1, starts, periodic=True)
    assert found["seam_z"] > 4 and abs(found["seam_excess_db"]) > 1
    # The same independent patches as stgan.tiling blends them for full-grid samples.
    layout = tiles((H, W), (H, PATCH), (0, OVERLAP), periodic_x=True)
    zero = [np.zeros((H, PATCH))] * len(layout)  # anomalies from a mean of 0
    blended = blend([_fields(rng)[..., :PATCH] for _ in layout], layout, (H, W), zero)
    assert axis_seam(blended, real, -1, starts, periodic=True)["seam_z"] < 2
    # Nothing tiled at all: another draw of the same field.
    assert axis_seam(_fields(rng), real, -1, starts, periodic=True)["seam_z"] < 2
