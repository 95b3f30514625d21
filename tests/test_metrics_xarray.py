"""The public metrics on xr.DataArray: equal to the NumPy path, coordinates kept, dask lazy.

Reference values are the NumPy path's own results (itself checked against pysteps, statsmodels
and scipy in tests/test_metrics.py), applied to the same values slice by slice.
"""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from stgan import metrics
from stgan.errors import DataError, StganError
from stgan.metrics import distribution, spectral, temporal

dask = pytest.importorskip("dask")
dsa = pytest.importorskip("dask.array")

MEMBERS, LEVELS, T, H, W = 2, 3, 12, 6, 8


def _field(seed: int = 0, shift: float = 0.0) -> xr.DataArray:
    """(member, level, time, lat, lon) AR(1)-in-time noise with CF-ish coordinates."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(MEMBERS, LEVELS, T, H, W))
    for t in range(1, T):  # AR(1), phi = 0.6: a non-trivial ACF
        values[:, :, t] += 0.6 * values[:, :, t - 1]
    coords = {
        "member": ["a", "b"],
        "level": ("level", [1000, 850, 500], {"units": "hPa"}),
        "time": pd.date_range("2001-01-01", periods=T, freq="6h"),
        "lat": ("lat", np.linspace(-50.0, 50.0, H), {"units": "degrees_north"}),
        "lon": ("lon", np.arange(W) * 45.0, {"units": "degrees_east"}),
    }
    dims = ("member", "level", "time", "lat", "lon")
    return xr.DataArray(values + shift, dims=dims, coords=coords, name="tas", attrs={"units": "K"})


def _close(actual: xr.DataArray, expected) -> None:
    np.testing.assert_allclose(actual.values, expected, rtol=1e-6, atol=1e-12)


def _assert_coords_kept(out: xr.DataArray, da: xr.DataArray, dims: tuple[str, ...]) -> None:
    for d in dims:
        assert out[d].equals(da[d]), d
        assert out[d].attrs == da[d].attrs, d


def test_spectra_equal_the_numpy_path_and_keep_other_dims():
    da = _field()
    spectrum = metrics.rapsd(da, dims=("lat", "lon"))
    assert spectrum.dims == ("member", "level", "time", "wavenumber")
    _close(spectrum, metrics.rapsd(da.values))
    _assert_coords_kept(spectrum, da, ("member", "level", "time"))
    assert spectrum["wavenumber"].values.tolist() == [0.0, 0.125, 0.25, 0.375]  # k / max(H, W)
    assert spectrum["wavenumber"].attrs["units"] == "cycles per grid cell"
    assert spectrum.attrs["units"] == "(K)^2"
    # Detected dims (lat/lon by their units) give the same; return_freq gives the coordinate.
    detected, freq = metrics.rapsd(da, return_freq=True)
    assert detected.identical(spectrum) and freq.identical(spectrum["wavenumber"])

    per_level = metrics.mean_rapsd(da, keep="level")
    assert per_level.dims == ("level", "wavenumber")
    for i in range(LEVELS):
        _close(per_level.isel(level=i), metrics.mean_rapsd(da.values[:, i])[0])
    _close(metrics.mean_rapsd(da), metrics.mean_rapsd(da.values)[0])

    other = _field(seed=1) * 2.0
    lsd = metrics.log_spectral_distance(per_level, metrics.mean_rapsd(other, keep="level"))
    assert lsd.dims == ("level",) and lsd.attrs["units"] == "dB"
    for i in range(LEVELS):
        expected = metrics.log_spectral_distance(
            metrics.mean_rapsd(da.values[:, i])[0], metrics.mean_rapsd(other.values[:, i])[0]
        )
        assert float(lsd.isel(level=i)) == pytest.approx(expected, rel=1e-6)


def test_a_sinusoid_peaks_at_its_wavenumber():
    # Two cycles across 8 columns: all power off bin 0 sits at k = 2, frequency 2 / 8.
    x = np.cos(2 * np.pi * 2 * np.arange(8) / 8)
    da = xr.DataArray(np.broadcast_to(x, (8, 8)), dims=("y", "x"))
    spectrum = metrics.rapsd(da)
    assert float(spectrum.idxmax("wavenumber")) == 0.25


def test_temporal_metrics_equal_the_numpy_path_with_lag_coordinates():
    da = _field()
    acf = metrics.temporal_acf(da, max_lag=4)
    assert acf.dims == ("member", "level", "lag")
    _close(acf, metrics.temporal_acf(da.values, 4))
    _assert_coords_kept(acf, da, ("member", "level"))
    assert acf["lag"].values.tolist() == [0, 1, 2, 3, 4]
    assert (acf["lag_time"] / np.timedelta64(1, "h")).values.tolist() == [0, 6, 12, 18, 24]
    # nlags (the NumPy path's name) and dim= by name say the same.
    assert metrics.temporal_acf(da, 4, dim="time").identical(acf)

    weights = xr.DataArray(np.cos(np.deg2rad(da["lat"].values)), dims="lat")
    weighted = metrics.temporal_acf(da, max_lag=4, weights=weights)
    w = np.broadcast_to(weights.values[:, None], (H, W))
    _close(weighted, metrics.temporal_acf(da.values, 4, weights=w))

    rmse = metrics.acf_rmse(acf, metrics.temporal_acf(_field(seed=3), max_lag=4))
    assert rmse.dims == ("member", "level")
    _close(rmse, metrics.acf_rmse(acf.values, metrics.temporal_acf(_field(seed=3).values, 4)))

    psd = metrics.temporal_psd(da, nperseg=6, keep="member")
    assert psd.dims == ("member", "frequency")
    for i in range(MEMBERS):
        freq, expected = metrics.temporal_psd(da.values[i], nperseg=6)
        _close(psd.isel(member=i), expected)
    np.testing.assert_array_equal(psd["frequency"].values, freq)


def test_lag_time_only_for_evenly_spaced_dates():
    values = np.random.default_rng(0).normal(size=(6, 3, 4))
    noleap = xr.date_range("2001-02-27", periods=6, freq="D", calendar="noleap", use_cftime=True)
    da = xr.DataArray(values, dims=("time", "y", "x"), coords={"time": noleap})
    acf = metrics.temporal_acf(da, max_lag=2)
    # 28 Feb -> 1 Mar is one day in the noleap calendar: the steps are even.
    assert (acf["lag_time"] / np.timedelta64(1, "D")).values.tolist() == [0, 1, 2]
    uneven = da.assign_coords(time=pd.to_datetime([f"2001-01-0{d}" for d in (1, 2, 4, 5, 6, 7)]))
    assert "lag_time" not in metrics.temporal_acf(uneven, max_lag=2).coords


def test_distribution_distances_pool_all_but_kept_dims():
    real, gen = _field(), _field(seed=5, shift=0.5).isel(member=[0])  # pooled sizes may differ
    w1 = metrics.wasserstein1(real, gen, keep="level")
    ks = metrics.ks_statistic(real, gen, keep=["level"])
    assert w1.dims == ks.dims == ("level",) and w1.attrs["units"] == "K"
    _assert_coords_kept(w1, real, ("level",))
    for i in range(LEVELS):
        a, b = real.values[:, i], gen.values[:, i]
        assert float(w1.isel(level=i)) == pytest.approx(metrics.wasserstein1(a, b), rel=1e-9)
        assert float(ks.isel(level=i)) == pytest.approx(metrics.ks_statistic(a, b), rel=1e-9)
    pooled = metrics.wasserstein1(real, gen)
    assert pooled.dims == () and float(pooled) == pytest.approx(
        metrics.wasserstein1(real.values, gen.values), rel=1e-9
    )
    cos_lat = xr.DataArray(np.cos(np.deg2rad(real["lat"].values)), dims="lat")
    weighted = metrics.wasserstein1(real, gen, a_weights=cos_lat, b_weights=cos_lat)
    w = np.cos(np.deg2rad(real["lat"].values))[:, None]
    expected = metrics.wasserstein1(real.values, gen.values, a_weights=w, b_weights=w)
    assert float(weighted) == pytest.approx(expected, rel=1e-9)


def test_missing_values_are_handled_as_in_the_numpy_path():
    da = _field()
    holey = da.where(~((da["lat"] == da["lat"][0]) & (da["lon"] == 0.0)))  # one point all NaN
    _close(metrics.temporal_acf(holey, max_lag=3), metrics.temporal_acf(holey.values, 3))
    _close(metrics.temporal_psd(holey, nperseg=6), metrics.temporal_psd(holey.values, nperseg=6)[1])
    w1 = metrics.wasserstein1(holey, da)
    assert float(w1) == pytest.approx(metrics.wasserstein1(holey.values, da.values), rel=1e-9)
    with pytest.raises(StganError, match="finite fields"):
        metrics.rapsd(holey)


class _ReadOnlyInChunks:
    """An array dask may read slice by slice, which fails the test if asked for all of it."""

    def __init__(self, values: np.ndarray) -> None:
        self.values, self.shape, self.dtype, self.ndim = (
            values,
            values.shape,
            values.dtype,
            values.ndim,
        )
        self.largest_read = 0

    def __getitem__(self, key):
        out = self.values[key]
        self.largest_read = max(self.largest_read, out.size)
        return out

    def __array__(self, dtype=None, copy=None):
        raise AssertionError("the whole array was loaded")


def test_a_dask_array_of_many_chunks_is_computed_chunk_by_chunk():
    da = _field()
    source = _ReadOnlyInChunks(da.values)
    chunk = (1, 1, T, H, W)  # six chunks along member x level, each one slab of fields
    lazy = da.copy(data=dsa.from_array(source, chunks=chunk, asarray=False))
    with dask.config.set(scheduler="synchronous"):
        spectrum = metrics.rapsd(lazy)
        acf = metrics.temporal_acf(lazy, max_lag=3)
        mean = metrics.mean_rapsd(lazy, keep="level")
        for out in (spectrum, acf, mean):  # nothing computed yet, still one task per chunk
            assert isinstance(out.data, dsa.Array)
        assert spectrum.data.numblocks[:2] == acf.data.numblocks[:2] == (MEMBERS, LEVELS)
        assert source.largest_read == 0
        _close(spectrum.compute(), metrics.rapsd(da.values))
        _close(acf.compute(), metrics.temporal_acf(da.values, 3))
        _close(mean.compute(), metrics.mean_rapsd(da, keep="level").values)
    assert 0 < source.largest_read <= np.prod(chunk)
    with pytest.raises(AssertionError, match="whole array"):
        np.asarray(source)  # the guard itself works


def test_a_dataarray_without_time_names_its_dims_and_the_fix():
    da = xr.DataArray(np.zeros((2, 4, 5)), dims=("member", "lat", "lon"), name="tas")
    with pytest.raises(DataError) as err:  # the typed error a notebook can catch
        metrics.temporal_acf(da, max_lag=1)
    message = str(err.value)
    assert message.startswith("temporal_acf: no dimension is recognisably time")
    assert "['member', 'lat', 'lon']" in message and "dim='member'" in message
    with pytest.raises(DataError, match=r"name it with dim='TIME'"):  # not a grid axis
        metrics.temporal_acf(da.isel(member=0), max_lag=1)
    with pytest.raises(DataError, match=r"dim='step' is not a dimension"):
        metrics.temporal_psd(da, dim="step")
    with pytest.raises(StganError, match="need an xr.DataArray"):
        metrics.temporal_acf(da.values, 1, dim="time")
    with pytest.raises(StganError, match="smaller than the series length"):
        metrics.temporal_acf(da, max_lag=2, dim="member")


def test_the_docstring_examples_run():
    for module in (spectral, temporal, distribution):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0, module.__name__
