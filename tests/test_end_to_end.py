"""make-data → fit → generate → evaluate, each a real `stgan` process."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import xarray as xr
from conftest import TINY_FIT, run_stgan
from pysteps.utils.spectral import rapsd
from scipy.stats import ks_2samp, wasserstein_distance
from statsmodels.tsa.stattools import acf


def _reference_scores(real: np.ndarray, gen: np.ndarray) -> dict[str, float]:
    """metrics.json's three headline scores recomputed with pysteps, statsmodels and scipy.

    ``real`` and ``gen``: (N, T, H, W) windows. RAPSD per frame (pysteps, numpy FFT), mean over
    frames, log-spectral distance over bins ≥ 1; ACF per grid point (statsmodels, not
    adjusted) averaged over points and windows, RMSE over lags ≥ 1; W1 of the pooled values.
    """

    def spectrum(x):
        return np.mean([rapsd(f, fft_method=np.fft) for f in x.reshape(-1, *x.shape[2:])], 0)

    def mean_acf(x):
        nlags = x.shape[1] - 1
        series = x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])
        return np.mean([acf(s, nlags=nlags, adjusted=False, fft=False) for s in series], 0)

    db = 10 * np.log10(spectrum(real)[1:]) - 10 * np.log10(spectrum(gen)[1:])
    return {
        "rapsd_lsd_db": float(np.sqrt(np.mean(db**2))),
        "acf_rmse": float(np.sqrt(np.mean((mean_acf(real)[1:] - mean_acf(gen)[1:]) ** 2))),
        "w1": wasserstein_distance(real.ravel(), gen.ravel()),
    }


def test_cli_path_from_netcdf_to_metrics(tmp_path):
    data = tmp_path / "data.nc"
    run_stgan(
        "make-data",
        "grf",
        "--output",
        str(data),
        "--time",
        "80",
        "--height",
        "12",
        "--width",
        "20",
        "--seed",
        "5",
    )
    root = tmp_path / "run"
    run_stgan(
        "fit",
        "--config",
        "configs/demo.yaml",
        "--data.path",
        str(data),
        "--trainer.max_steps",
        "3",
        "--trainer.default_root_dir",
        str(root),
        *TINY_FIT,
    )

    ckpt = root / "logs" / "version_0" / "checkpoints" / "last.ckpt"
    assert (root / "logs" / "version_0" / "metrics.csv").is_file()
    # Domain metrics every step; the best checkpoint is the one with the lowest domain score.
    import csv

    rows = list(csv.DictReader(open(root / "logs" / "version_0" / "metrics.csv")))
    scores = {
        int(r["step"]): float(r["val_domain_score"]) for r in rows if r.get("val_domain_score")
    }
    assert sorted(scores) == [1, 2, 3]
    for r in rows:
        if r.get("val_domain_score"):
            expected = float(r["val_rapsd_lsd_db_field"]) + float(r["val_acf_rmse_field"]) / 0.05
            assert float(r["val_domain_score"]) > expected  # plus W1 / σ_real > 0
    best_step = min(scores, key=scores.get)
    (best,) = (root / "logs" / "version_0" / "checkpoints").glob("best-*.ckpt")
    assert best.name == f"best-{best_step}-{scores[best_step]:.3f}.ckpt"
    assert (root / "logs" / "version_0" / "config.yaml").is_file()
    payload = torch.load(ckpt, weights_only=True)  # plain data only: the safe loader accepts it
    assert payload["global_step"] == 3  # generator updates (iterations), not D+G steps
    info = payload["stgan"]["data"]
    assert info["variables"][0]["name"] == "field"
    assert info["window"] == [4, 12, 20]
    assert len(info["transforms"]) == 1 and info["transforms"][0]["std"] > 0

    gen = tmp_path / "gen.nc"
    run_stgan(
        "generate",
        "--checkpoint",
        str(ckpt),
        "--num-samples",
        "6",
        "--output",
        str(gen),
        "--seed",
        "1",
    )
    real = xr.open_dataset(data)
    with xr.open_dataset(gen) as ds:
        assert ds["field"].dims == ("sample", "time", "y", "x")
        assert ds["field"].shape == (6, 4, 12, 20)
        assert ds["field"].attrs["units"] == "K"
        assert ds["field"].attrs["long_name"] == real["field"].attrs["long_name"]
        np.testing.assert_array_equal(ds["y"].values, real["y"].values)
        np.testing.assert_array_equal(ds["x"].values, real["x"].values)
        assert ds["x"].attrs["units"] == "km"
        values = ds["field"].values
        assert np.isfinite(values).all()
        # Physical units, not standardised ones: the training mean is ~280 K.
        assert 250 < values.mean() < 310
        # Daily data: the generated time axis steps by one day.
        assert (np.diff(ds["time"].values) == np.timedelta64(1, "D")).all()

    out = tmp_path / "eval"
    run_stgan("evaluate", "--real", str(data), "--generated", str(gen), "--output-dir", str(out))
    metrics = json.loads((out / "metrics.json").read_text())
    field = metrics["variables"]["field"]
    assert metrics["n_real_windows"] == 80 // 4
    # The scores are those of independent implementations on the same windows: the real
    # record cut into 20 whole windows of 4 steps, the 6 generated samples as written.
    with xr.open_dataset(data) as r, xr.open_dataset(gen) as g:
        windows = r["field"].values.astype(np.float64).reshape(20, 4, 12, 20)
        samples = g["field"].values.astype(np.float64)
    reference = _reference_scores(windows, samples)
    for key, want in reference.items():
        assert field[key] == pytest.approx(want, rel=1e-4), key
    for kind in ("rapsd", "acf", "tpsd", "hist", "frames", "series"):
        assert (out / f"{kind}_field.png").stat().st_size > 1000
        assert f"{kind}_field.png" in (out / "report.md").read_text()
    page = (out / "report.html").read_text()
    # self-contained: every figure inlined (the six above, the LSD per octave, the maps and
    # the Hovmöller diagram), and the animation
    assert page.count("data:image/png;base64,") == 9
    assert page.count("data:image/gif;base64,") == 1
    # KS is the largest gap between the two empirical CDFs (scipy's two-sample statistic).
    assert field["ks"] == pytest.approx(
        ks_2samp(windows.ravel(), samples.ravel()).statistic, rel=1e-4
    )


def test_generate_is_deterministic_for_a_seed(tmp_path, grf_file):
    root = tmp_path / "run"
    run_stgan(
        "fit",
        "--config",
        "configs/demo.yaml",
        "--data.path",
        str(grf_file),
        "--trainer.max_steps",
        "1",
        "--trainer.default_root_dir",
        str(root),
        *TINY_FIT,
    )
    ckpt = str(root / "logs" / "version_0" / "checkpoints" / "last.ckpt")
    outs = []
    for name, seed in (("a", "7"), ("b", "7"), ("c", "8")):
        run_stgan(
            "generate",
            "--checkpoint",
            ckpt,
            "--num-samples",
            "3",
            "--output",
            str(tmp_path / f"{name}.nc"),
            "--seed",
            seed,
        )
        outs.append(xr.open_dataset(tmp_path / f"{name}.nc")["field"].values)
    np.testing.assert_array_equal(outs[0], outs[1])
    assert not np.array_equal(outs[0], outs[2])


def test_make_data_variants_through_the_cli(tmp_path):
    masked = tmp_path / "masked.nc"
    run_stgan(
        "make-data",
        "grf",
        "--output",
        str(masked),
        "--time",
        "60",
        "--height",
        "24",
        "--width",
        "40",
        "--mask",
        "island",
        "--missing-steps",
        "3",
    )
    with xr.open_dataset(masked) as ds:
        values = ds["field"].values
    static = np.isnan(values).all(axis=0)
    assert 0.15 < static.mean() < 0.25  # the island covers about a fifth of the grid
    assert int(np.isnan(values).all(axis=(1, 2)).sum()) == 3  # three outage steps
    out = run_stgan("inspect", str(masked), "--window", "4", "24", "40").stdout
    assert f"static mask: {int(static.sum())} of 960 cells" in out
    assert "dropped (> 5% missing): 3" in out

    waves = tmp_path / "waves.nc"
    run_stgan("make-data", "waves", "--output", str(waves), "--time", "64", "--modes", "4")
    with xr.open_dataset(waves) as ds:
        assert set(np.unique(ds["mode"].values)) <= {0, 1, 2, 3}
        assert ds["wave"].shape == (64, 32, 32)
