"""The evaluation report's pictures of the windows: mean/std maps, a Hovmöller diagram and an
animation per variable, drawn from the very windows the evaluation compared, checked by the
values they draw and the GIF frames the report inlines."""

from __future__ import annotations

import base64
import io
import re
import sys
from html.parser import HTMLParser

import numpy as np
import pytest
import xarray as xr
from PIL import Image

import stgan
from stgan.data.synthetic import make_grf
from stgan.io.netcdf import write_netcdf
from stgan.report.pictures import ANIMATION_FRAMES

T = 20  # generated window length: more than the animation's 16 frames
LAT = np.linspace(-50.0, 50.0, 6)
LON = np.arange(0.0, 360.0, 30.0)
VARIABLES = ("tas", "pr")


def _lat_lon(seed: int, time: int) -> xr.Dataset:
    """(time, 6 lat, 12 lon) fields tas (K) and pr (mm); tas masked (NaN) at two cells."""
    rng = np.random.default_rng(seed)
    tas = rng.normal(280.0, 5.0, (time, LAT.size, LON.size))
    tas[:, 0, :2] = np.nan  # a static mask: NaN at every step
    pr = rng.gamma(2.0, 1.5, (time, LAT.size, LON.size))
    return xr.Dataset(
        {
            "tas": (("time", "lat", "lon"), tas, {"units": "K"}),
            "pr": (("time", "lat", "lon"), pr, {"units": "mm"}),
        },
        coords={
            "time": ("time", np.arange(time, dtype=float), {"units": "days since 2000-01-01"}),
            "lat": ("lat", LAT, {"units": "degrees_north", "standard_name": "latitude"}),
            "lon": ("lon", LON, {"units": "degrees_east", "standard_name": "longitude"}),
        },
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """real.nc: 3 windows of T steps; gen.nc: 2 samples of T steps, both on the lat/lon grid."""
    root = tmp_path_factory.mktemp("report_pictures")
    write_netcdf(_lat_lon(0, 3 * T), root / "real.nc")
    gen = xr.concat([_lat_lon(s, T) for s in (1, 2)], dim="sample")
    write_netcdf(gen, root / "gen.nc")
    return root


@pytest.fixture(scope="module")
def evaluation(files):
    """The evaluation, its pictures drawn without cartopy: plain lat/lon axes render in a
    fraction of the time of GeoAxes (test_lat_lon_maps_... draws those)."""
    ev = stgan.evaluate(files / "real.nc", files / "gen.nc", metrics=["distribution"])
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "cartopy", None)  # import cartopy now raises ImportError
        mp.setitem(sys.modules, "cartopy.crs", None)
        assert ev.figures  # drawn here, on first use
    return ev


@pytest.fixture(scope="module")
def windows(files):
    """The windows the evaluation compares, cut here independently: variable → (real, gen)."""
    with xr.open_dataset(files / "real.nc") as r, xr.open_dataset(files / "gen.nc") as g:
        return {
            v: (
                r[v].values.astype(np.float64).reshape(3, T, LAT.size, LON.size),
                g[v].values.astype(np.float64),
            )
            for v in VARIABLES
        }


def _mesh(ax) -> np.ndarray:
    """The values a QuadMesh draws, NaN where masked."""
    return np.ma.filled(ax.collections[0].get_array().astype(float), np.nan)


def _by_title(fig) -> dict:
    return {ax.get_title(): ax for ax in fig.axes if ax.get_title()}


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.captions = 0

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs)["src"])
        self.captions += tag == "figcaption"


def test_html_inlines_one_gif_per_variable_with_every_frame(evaluation, tmp_path):
    page = evaluation.to_html(tmp_path / "report.html").read_text()
    parser = _Images()
    parser.feed(page)
    prefix = "data:image/gif;base64,"
    gifs = [src[len(prefix) :] for src in parser.sources if src.startswith(prefix)]
    assert len(gifs) == len(VARIABLES)
    assert len(parser.sources) == len(evaluation.figures) + len(VARIABLES)
    assert parser.captions == len(parser.sources)  # every picture says what it shows
    for data, stem in zip(gifs, ("animation_tas", "animation_pr")):
        raw = base64.b64decode(data)
        assert raw == evaluation.animations[stem]
        with Image.open(io.BytesIO(raw)) as gif:
            assert gif.format == "GIF"
            assert gif.n_frames == ANIMATION_FRAMES == 16  # the first 16 of 20 steps
            assert gif.size == (384, 192)  # 6 x 3 inches at 64 dpi
            assert gif.info["duration"] == 250  # 4 frames per second
        # 16 frames of a 6 x 12 grid: about 60 kB, so the page stays light
        assert 5_000 < len(raw) < 100_000
    caption = evaluation.captions["animation_tas"]
    assert "16 time steps (the first 16 of 20) at 4 frames per second" in caption
    assert "first reference window (left) and the first generated sample (right)" in caption


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:Degrees of freedom")
def test_maps_draw_the_mean_and_std_of_the_windows_compared(evaluation, windows):
    for name, (real, gen) in windows.items():
        axes = _by_title(evaluation.figures[f"maps_{name}"])
        r_mean, r_std = np.nanmean(real, axis=(0, 1)), np.nanstd(real, axis=(0, 1))
        g_mean, g_std = np.nanmean(gen, axis=(0, 1)), np.nanstd(gen, axis=(0, 1))
        # float32 in the files: the reading paths differ in the last digits
        np.testing.assert_allclose(_mesh(axes["real mean"]), r_mean, rtol=1e-7)
        np.testing.assert_allclose(_mesh(axes["generated mean"]), g_mean, rtol=1e-7)
        np.testing.assert_allclose(_mesh(axes["real std"]), r_std, rtol=1e-6)
        np.testing.assert_allclose(_mesh(axes["generated std"]), g_std, rtol=1e-6)
    # tas's masked cells are missing in both sets, and drawn as missing
    assert np.isnan(_mesh(_by_title(evaluation.figures["maps_tas"])["real mean"])).sum() == 2
    caption = evaluation.captions["maps_tas"]
    assert "over every time step of the 3 reference windows (left)" in caption
    assert "of the 2 generated samples (middle)" in caption


def test_hovmoller_averages_the_middle_third_of_the_latitudes(evaluation, windows):
    real, gen = windows["pr"]
    axes = evaluation.figures["hovmoller_pr"].axes
    # Middle third of 6 latitudes: rows 2 and 3 (-10° and 10°, equal cos(lat) weights), for
    # the first real window and the first generated sample.
    np.testing.assert_allclose(_mesh(axes[0]), real[0, :, 2:4].mean(axis=1), rtol=1e-7)
    np.testing.assert_allclose(_mesh(axes[1]), gen[0, :, 2:4].mean(axis=1), rtol=1e-7)
    caption = evaluation.captions["hovmoller_pr"]
    assert "time (down) against lon (across)" in caption
    assert "the middle third of the latitudes, -10° to 10°" in caption


def test_lat_lon_maps_are_on_geographic_axes(files, evaluation):
    # without cartopy (the module's evaluation): plain lat/lon axes, and the caption says why
    axes = _by_title(evaluation.figures["maps_tas"])
    assert axes["real mean"].get_xlabel() == "longitude (°E)"
    assert (
        "Drawn on latitude-longitude axes (cartopy is not installed"
        in (evaluation.captions["maps_tas"])
    )
    pytest.importorskip("cartopy")
    ev = stgan.evaluate(
        files / "real.nc", files / "gen.nc", metrics=["distribution"], variables=["pr"]
    )
    axes = _by_title(ev.figures["maps_pr"])
    assert type(axes["real mean"]).__name__ == "GeoAxes"
    assert "Drawn on latitude-longitude axes" in ev.captions["maps_pr"]


def test_save_writes_the_gifs_beside_the_pngs(evaluation, tmp_path):
    saved = evaluation.save(tmp_path)
    assert [p.name for p in saved["animations"]] == ["animation_tas.gif", "animation_pr.gif"]
    for path in saved["animations"]:
        assert path.read_bytes() == evaluation.animations[path.stem]
    assert {p.stem for p in tmp_path.glob("*.png")} == set(evaluation.figures)
    md = saved["report_path"].read_text()
    assert "![animation_pr](animation_pr.gif)\n*Animation of pr: " in md
    assert "![maps_tas](maps_tas.png)\n*Mean (top) and standard deviation (bottom) of tas" in md
    # every picture in report.md has its caption on the next line
    assert len(re.findall(r"^!\[.*\n\*.+\*$", md, flags=re.M)) == len(evaluation.captions)


def test_windows_tiled_from_a_larger_grid_are_drawn_on_grid_indices():
    real = make_grf(time=8, height=8, width=8, seed=0)
    gen = xr.concat([make_grf(time=4, height=4, width=4, seed=s) for s in (1, 2)], "sample")
    ev = stgan.evaluate(real, gen, metrics=["distribution"])
    axes = _by_title(ev.figures["maps_field"])
    assert (axes["real mean"].get_xlabel(), axes["real mean"].get_ylabel()) == ("x", "y")
    # 2 x 2 x 2 tiles of (4, 4, 4): the real mean over all 8 tiles
    tiles = real["field"].values.reshape(2, 4, 2, 4, 2, 4).transpose(0, 2, 4, 1, 3, 5)
    np.testing.assert_allclose(
        _mesh(axes["real mean"]), tiles.reshape(8, 4, 4, 4).mean(axis=(0, 1)), rtol=1e-6
    )
    assert "tiles of a larger grid" in ev.captions["maps_field"]
    assert "along the middle row (y index 2)" in ev.captions["hovmoller_field"]
    with Image.open(io.BytesIO(ev.animations["animation_field"])) as gif:
        assert gif.n_frames == 4
