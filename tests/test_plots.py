"""stgan.plots and `stgan plot`: animations, Hovmöller diagrams and maps of real vs generated
data, checked by the values they draw (read back from the figures and files)."""

from __future__ import annotations

import shutil
import sys

import numpy as np
import pytest
import xarray as xr
from PIL import Image

from stgan.cli import main
from stgan.data.synthetic import make_grf
from stgan.errors import StganError
from stgan.io.netcdf import write_netcdf
from stgan.plots import animate, hovmoller, map_plot, maps
from stgan.plots.fields import MASK_COLOUR
from tests.conftest import run_stgan

MASK_RGB = np.array([0xD9, 0xD9, 0xD9])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A real (6, 8, 8) record with an island mask and 2 generated samples of 5 steps."""
    folder = tmp_path_factory.mktemp("plots")
    real = make_grf(time=6, height=8, width=8, seed=0, mask="island")
    gen = xr.concat([make_grf(time=5, height=8, width=8, seed=s) for s in (1, 2)], "sample")
    write_netcdf(real, folder / "real.nc")
    write_netcdf(gen, folder / "gen.nc")
    return folder


def _lat_lon(seed: int, *, time: int = 4) -> xr.Dataset:
    """A (time, 6 lat, 12 lon) field with CF attributes; NaN at the two southernmost rows' first cell."""
    lat = np.linspace(-50.0, 50.0, 6)
    lon = np.arange(0.0, 360.0, 30.0)
    values = np.random.default_rng(seed).normal(280, 5, (time, 6, 12))
    values[:, :2, 0] = np.nan
    return xr.Dataset(
        {"tas": (("time", "lat", "lon"), values, {"units": "K"})},
        coords={
            "time": (
                "time",
                np.arange(time, dtype=float),
                {"axis": "T", "units": "days since 2000-01-01"},
            ),
            "lat": ("lat", lat, {"units": "degrees_north", "standard_name": "latitude"}),
            "lon": ("lon", lon, {"units": "degrees_east", "standard_name": "longitude"}),
        },
    )


@pytest.fixture(scope="module")
def lat_lon_files(tmp_path_factory):
    """The lat/lon fields written to NetCDF: real, and generated with one sample."""
    folder = tmp_path_factory.mktemp("latlon")
    write_netcdf(_lat_lon(0, time=6), folder / "real.nc")
    write_netcdf(_lat_lon(1).expand_dims(sample=1), folder / "gen.nc")
    return folder


def _mesh(ax) -> np.ndarray:
    """The values a QuadMesh draws, NaN where masked."""
    return np.ma.filled(ax.collections[0].get_array().astype(float), np.nan)


def _by_title(fig) -> dict:
    return {ax.get_title(): ax for ax in fig.axes if ax.get_title()}


def test_animate_gif_frames_panels_and_mask(files, tmp_path):
    out = animate(files / "real.nc", files / "gen.nc", tmp_path / "a.gif", sample=1, fps=5)
    with Image.open(out) as gif:
        assert gif.n_frames == 5  # generated window of 5 steps; the real record has 6
        assert gif.size == (480, 240)  # 6 x 3 inches at 80 dpi
        assert gif.info["duration"] == 200 and gif.info["loop"] == 0
        frames = []
        for i in range(gif.n_frames):
            gif.seek(i)
            frames.append(np.asarray(gif.convert("RGB"), dtype=int))
    # Each panel changes from frame to frame (the field evolves), and the panels differ.
    left, right = (slice(40, 200), slice(50, 190)), (slice(40, 200), slice(215, 355))
    assert not np.array_equal(frames[0][left], frames[1][left])
    assert not np.array_equal(frames[0][right], frames[1][right])
    assert np.abs(frames[0][left] - frames[0][right]).mean() > 10
    # Masked cells in the mask colour: the real island (20% of the cells), none generated.
    grey = lambda a: (np.abs(a - MASK_RGB).sum(axis=-1) <= 6).mean()  # noqa: E731
    assert 0.1 < grey(frames[0][left]) < 0.3 and grey(frames[0][right]) < 0.002  # a stray pixel
    assert MASK_COLOUR == "#d9d9d9"


def test_animate_mp4_needs_ffmpeg(files, tmp_path):
    out = tmp_path / "a.mp4"
    if shutil.which("ffmpeg") is None:
        with pytest.raises(StganError, match="MP4 needs the ffmpeg program.*write a .gif"):
            animate(files / "real.nc", files / "gen.nc", out)
        assert not out.exists()
    else:
        animate(files / "real.nc", files / "gen.nc", out)
        assert out.read_bytes()[4:8] == b"ftyp"  # the MP4 file-type box


@pytest.mark.parametrize(
    "kwargs, path, message",
    [
        ({}, "a.avi", "give a path ending .gif or .mp4"),
        ({"variable": "rain"}, "a.gif", "no variable 'rain'; its fields are \\['field'\\]"),
        ({"sample": 2}, "a.gif", "2 samples; sample=2 is out of range"),
        ({"start": 6}, "a.gif", "6 time steps; start=6 is out of range"),
        ({"fps": 0}, "a.gif", "fps must be positive"),
    ],
)
def test_animate_errors_write_nothing(files, tmp_path, kwargs, path, message):
    with pytest.raises(StganError, match=message):
        animate(files / "real.nc", files / "gen.nc", tmp_path / path, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_hovmoller_row_draws_the_row_on_one_scale(files):
    real = xr.open_dataset(files / "real.nc")["field"].values  # (6, 8, 8)
    gen = xr.open_dataset(files / "gen.nc")["field"].values  # (2, 5, 8, 8)
    fig = hovmoller(files / "real.nc", files / "gen.nc", row=2, sample=1, start=1)
    ax_real, ax_gen = _by_title(fig)["real"], _by_title(fig)["generated"]
    np.testing.assert_array_equal(_mesh(ax_real), real[1:6, 2, :])  # NaN where the island is
    np.testing.assert_array_equal(_mesh(ax_gen), gen[1, :, 2, :])
    assert np.isnan(real[1:6, 2, :]).any()
    both = np.concatenate([real[1:6, 2].ravel(), gen[1, :, 2].ravel()])
    expected = (np.nanmin(both), np.nanmax(both))
    assert ax_real.collections[0].get_clim() == ax_gen.collections[0].get_clim() == expected
    assert ax_real.yaxis_inverted()  # time runs down the page
    assert [t.get_text() for t in ax_real.get_yticklabels()][:2] == ["2000-01-02", "2000-01-03"]
    assert fig.legends  # the masked-cell legend


def test_hovmoller_lat_band_is_the_cos_lat_weighted_mean(lat_lon_files):
    real = _lat_lon(0, time=6)["tas"].values
    real[2, 3, 5] = np.nan  # one more gap, inside the band: weights renormalised around it
    ds = _lat_lon(0, time=6)
    ds["tas"][:] = real
    fig = hovmoller(ds, lat_lon_files / "gen.nc", lat_band=(40, -20))  # either order
    lats = np.linspace(-50.0, 50.0, 6)  # band: -10, 10, 30 (and not -30, 50)
    expected = np.full((4, 12), np.nan)
    for t in range(4):
        for i in range(12):
            num = den = 0.0
            for j, lat in enumerate(lats):
                if -20 <= lat <= 40 and np.isfinite(real[t, j, i]):
                    num += np.cos(np.radians(lat)) * real[t, j, i]
                    den += np.cos(np.radians(lat))
            expected[t, i] = num / den
    np.testing.assert_allclose(_mesh(_by_title(fig)["real"]), expected, rtol=1e-12)
    assert "mean over -20° to 40° latitude" in fig.get_suptitle()


def test_hovmoller_band_of_a_zonally_constant_field_is_the_field():
    # Known answer: a field that does not vary with latitude averages to itself.
    ds = _lat_lon(0)
    row = np.arange(4 * 12, dtype=float).reshape(4, 1, 12)
    ds["tas"][:] = np.broadcast_to(row, (4, 6, 12))
    fig = hovmoller(ds, ds, lat_band=(-90, 90))
    np.testing.assert_allclose(_mesh(fig.axes[0]), row[:, 0], rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"row": 1, "lat_band": (0, 10)}, "give row or lat_band, not both"),
        ({"row": 8}, "row=8 is out of range: dimension 'y' has 8 rows"),
        ({"lat_band": (0, 10)}, "lat_band needs a latitude axis.*row=I"),
    ],
)
def test_hovmoller_errors(files, kwargs, message):
    with pytest.raises(StganError, match=message):
        hovmoller(files / "real.nc", files / "gen.nc", **kwargs)


def test_hovmoller_empty_band_names_the_latitudes():
    with pytest.raises(StganError, match="no latitude within lat_band.*from -50 to 50"):
        hovmoller(_lat_lon(0), _lat_lon(1), lat_band=(60, 70))


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:Degrees of freedom")
def test_maps_mean_std_and_difference_in_real_std_units(files):
    real = xr.open_dataset(files / "real.nc")["field"].values.astype(float)
    gen = xr.open_dataset(files / "gen.nc")["field"].values.astype(float)
    fig = maps(files / "real.nc", files / "gen.nc")
    axes = _by_title(fig)
    r_mean, r_std = np.nanmean(real, axis=0), np.nanstd(real, axis=0)
    g_mean, g_std = gen.mean(axis=(0, 1)), gen.std(axis=(0, 1))
    np.testing.assert_allclose(_mesh(axes["real mean"]), r_mean, rtol=1e-6)
    np.testing.assert_allclose(_mesh(axes["generated mean"]), g_mean, rtol=1e-6)
    np.testing.assert_allclose(_mesh(axes["real std"]), r_std, rtol=1e-5)
    np.testing.assert_allclose(_mesh(axes["generated std"]), g_std, rtol=1e-5)
    diff = _mesh(axes["(generated − real) mean / real std"])
    np.testing.assert_allclose(diff, (g_mean - r_mean) / r_std, rtol=1e-5)
    np.testing.assert_allclose(
        _mesh(axes["(generated − real) std / real std"]), (g_std - r_std) / r_std, rtol=1e-5
    )
    assert np.isnan(diff).sum() == np.isnan(r_mean).sum() > 0  # the island stays masked
    lo, hi = axes["real std"].collections[0].get_clim()
    assert (lo, hi) == axes["generated std"].collections[0].get_clim()
    assert np.isclose(lo, min(np.nanmin(r_std), g_std.min()), rtol=1e-6)
    assert axes["real mean"].get_xlabel() == "x" and axes["real mean"].get_ylabel() == "y"


def test_maps_errors(files):
    with pytest.raises(StganError, match="unknown map statistic \\['median'\\]"):
        maps(files / "real.nc", files / "gen.nc", stat="median")
    with pytest.raises(StganError, match="real and generated grids differ"):
        maps(make_grf(time=4, height=8, width=12), files / "gen.nc")
    with pytest.raises(StganError, match="map_plot draws a 2-D"):
        map_plot(make_grf(time=4, height=8, width=8)["field"])


def test_map_plot_pixel_axes_and_mask():
    field = make_grf(time=4, height=8, width=8, mask="island")["field"].isel(time=0)
    fig = map_plot(field)
    ax = fig.axes[0]
    np.testing.assert_array_equal(_mesh(ax), field.values)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "y")
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["masked (NaN)"]


def _write_coastline(folder) -> None:
    """A one-line coastline shapefile where cartopy keeps Natural Earth's 110m data."""
    import shapefile

    target = folder / "shapefiles" / "natural_earth" / "physical"
    target.mkdir(parents=True)
    with shapefile.Writer(str(target / "ne_110m_coastline"), shapeType=shapefile.POLYLINE) as w:
        w.field("name", "C")
        w.line([[[0.0, 0.0], [60.0, 20.0]]])
        w.record("test")


def test_maps_on_cartopy_axes_coastlines_only_from_disk(lat_lon_files, tmp_path, monkeypatch):
    cartopy = pytest.importorskip("cartopy")
    monkeypatch.setitem(cartopy.config, "pre_existing_data_dir", tmp_path / "none")
    monkeypatch.setitem(cartopy.config, "data_dir", tmp_path / "ne")
    fig = maps(lat_lon_files / "real.nc", lat_lon_files / "gen.nc", stat="mean")
    ax = _by_title(fig)["real mean"]
    assert type(ax).__name__ == "GeoAxes"
    assert [t.get_text() for t in fig.texts] == [
        f"no coastlines: Natural Earth data not found under {tmp_path / 'ne'} "
        "(stgan never downloads it)"
    ]
    assert not (tmp_path / "ne").exists()  # nothing was fetched
    real = xr.open_dataset(lat_lon_files / "real.nc")["tas"].values
    np.testing.assert_allclose(_mesh(ax), real.mean(axis=0), rtol=1e-12)

    _write_coastline(tmp_path / "ne")
    fig = maps(lat_lon_files / "real.nc", lat_lon_files / "gen.nc", stat="mean")
    ax = _by_title(fig)["real mean"]
    lines = [a for a in ax.get_children() if type(a).__name__ == "FeatureArtist"]
    assert len(lines) == 1 and not fig.texts


def test_maps_without_cartopy_plain_lat_lon_axes(lat_lon_files, monkeypatch):
    monkeypatch.setitem(sys.modules, "cartopy", None)  # import cartopy now raises ImportError
    monkeypatch.setitem(sys.modules, "cartopy.crs", None)
    fig = map_plot(xr.open_dataset(lat_lon_files / "real.nc")["tas"].mean("time"))
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("longitude (°E)", "latitude (°N)")
    assert "cartopy is not installed (pip install 'stgan[maps]')" in fig.texts[0].get_text()
    np.testing.assert_array_equal(ax.collections[0].get_coordinates()[0, :, 0][:2], [-15, 15])


def test_cli_plot_animation_end_to_end(files, tmp_path):
    out = tmp_path / "anim.gif"
    proc = run_stgan(
        "plot", "animation", "--real", str(files / "real.nc"), "--generated",
        str(files / "gen.nc"), "--output", str(out), "--sample", "1",
    )  # fmt: skip
    assert proc.stdout.strip() == f"wrote {out}"
    with Image.open(out) as gif:
        assert gif.n_frames == 5


def test_cli_plot_errors_and_help(files, tmp_path, capsys):
    args = ["plot", "maps", "--real", str(files / "real.nc"), "--generated", str(files / "gen.nc")]
    assert main([*args, "--output", str(tmp_path / "m.jpg")]) == 2
    assert "stgan: error: cannot write a figure to" in capsys.readouterr().err
    assert main([*args, "--output", str(tmp_path / "m.png"), "--variable", "rain"]) == 2
    assert "no variable 'rain'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    assert main([*args, "--output", str(tmp_path / "m.png"), "--stat", "std"]) == 0
    assert Image.open(tmp_path / "m.png").size[0] == 800  # 10 inches at 80 dpi
    with pytest.raises(SystemExit):
        main(["plot", "--help"])
    assert "examples:\n  stgan plot animation" in capsys.readouterr().out


def test_real_field_paired_by_the_generated_name(files, tmp_path):
    real = xr.open_dataset(files / "real.nc").load()
    real["twice"] = real["field"] * 2  # a second field: the generated one's name decides
    write_netcdf(real, tmp_path / "two.nc")
    fig = hovmoller(tmp_path / "two.nc", files / "gen.nc", row=0)
    np.testing.assert_array_equal(_mesh(fig.axes[0]), real["field"].values[:5, 0])
    with pytest.raises(StganError, match="real data has 2 fields \\['field', 'twice'\\]"):
        hovmoller(tmp_path / "two.nc", xr.open_dataset(files / "gen.nc").rename(field="f"))
