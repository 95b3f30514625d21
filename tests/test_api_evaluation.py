"""``stgan.evaluate``: real files and in-memory datasets in, an Evaluation out, and ``stgan
evaluate`` as the same code path (its metrics.json equals the API's)."""

from __future__ import annotations

import base64
import doctest
import json
from html.parser import HTMLParser

import numpy as np
import pytest
import xarray as xr
from conftest import run_stgan
from matplotlib.figure import Figure

import stgan
import stgan.api.evaluation
from stgan.cli import main
from stgan.data.synthetic import make_grf
from stgan.errors import StganError
from stgan.io.netcdf import write_netcdf
from stgan.metrics.registry import METRICS

KEYS = ["spectrum", "acf", "distribution"]  # enough for every kind of output, and fast
WINDOW = 6  # time steps per generated window


def _samples(fields: list[xr.Dataset]) -> xr.Dataset:
    """Windows (time, y, x) stacked on a ``sample`` dimension, on the first one's time axis."""
    time = fields[0]["time"]
    return xr.concat([f.assign_coords(time=time) for f in fields], dim="sample")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """real.nc: a (48, 8, 8) GRF; gen.nc: 4 windows of 6 steps from other realisations."""
    root = tmp_path_factory.mktemp("api_eval")
    real, gen = root / "real.nc", root / "gen.nc"
    write_netcdf(make_grf(time=48, height=8, width=8, seed=0), real)
    others = [make_grf(time=WINDOW, height=8, width=8, seed=s) for s in (1, 2, 3, 4)]
    write_netcdf(_samples(others), gen)
    return real, gen


@pytest.fixture(scope="module")
def evaluation(files):
    real, gen = files
    return stgan.evaluate(real, gen, metrics=KEYS)


def test_paths_and_datasets_give_identical_metrics(files, evaluation):
    real, gen = files
    in_memory = stgan.evaluate(xr.load_dataset(real), xr.load_dataset(gen), metrics=KEYS)
    assert in_memory.to_dict()["variables"] == evaluation.to_dict()["variables"]
    xr.testing.assert_equal(in_memory.metrics, evaluation.metrics)
    # A loaded dataset remembers its file, and metrics.json names it.
    assert in_memory.to_dict()["real"] == str(real)


def test_real_windows_against_themselves_score_zero():
    """Known answer: the real data's own windows as samples are at distance 0 from them."""
    real = make_grf(time=48, height=8, width=8, seed=5)
    own = _samples([real.isel(time=slice(t, t + WINDOW)) for t in range(0, 48, WINDOW)])
    m = stgan.evaluate(real, own, metrics=KEYS).metrics.sel(variable="field")
    for key in ("rapsd_lsd_db", "acf_rmse", "w1", "ks", "q01", "q99.9"):
        assert m[key].item() == pytest.approx(0.0, abs=1e-9), key
    np.testing.assert_array_equal(m["acf_real"], m["acf_generated"])
    assert m["acf_real"].sel(lag=0).item() == pytest.approx(1.0)  # ρ_0 = 1 by definition


def test_metrics_dataset_holds_the_metrics_json_values_and_units(evaluation):
    ds, result = evaluation.metrics, evaluation.to_dict()
    field = result["variables"]["field"]
    assert list(ds["variable"].values) == ["field"]
    assert ds["variable_units"].item() == "K"
    scalars = [k for k, v in field.items() if k != "units" and not isinstance(v, list)]
    curves = [k for k, v in field.items() if isinstance(v, list) and not k.endswith("_freq")]
    assert set(ds.data_vars) == {*scalars, *curves}
    for key in scalars:
        want = np.nan if field[key] is None else field[key]
        np.testing.assert_equal(ds[key].sel(variable="field").item(), want)
    for key in curves:
        np.testing.assert_array_equal(ds[key].sel(variable="field").values, field[key])
    # 8 cells: RAPSD bins k = 0 … 3 at k / 8 cycles per cell; ACF lags 0 … T − 1
    np.testing.assert_array_equal(ds["wavenumber"], [0.0, 0.125, 0.25, 0.375])
    np.testing.assert_array_equal(ds["lag"], np.arange(WINDOW))
    assert ds["wavenumber"].attrs["units"] == "cycles per grid cell"
    # units from the metric entries, the variable's own unit substituted for value-like ones
    assert ds["w1"].attrs["units"] == "K"
    assert ds["rapsd_lsd_db"].attrs["units"] == "dB"
    assert ds["acf_rmse"].attrs["units"] == "1"
    assert ds["integral_real"].attrs["units"] == "time steps"
    assert ds["rapsd_real"].attrs["units"] == "(K)^2"
    assert ds["w1"].attrs["description"] == METRICS.get("distribution").description
    assert ds["acf_real"].attrs["metric"] == "acf"
    assert ds.attrs["comparison"] == "reference" and ds.attrs["n_generated"] == 4
    assert ds.attrs["n_real_windows"] == 48 // WINDOW


def test_two_variables_share_one_dataset_and_the_cross_channel_error(tmp_path):
    def pair(seed: int, time: int) -> xr.Dataset:
        ds = make_grf(time=time, height=8, width=8, seed=seed)
        other = make_grf(time=time, height=8, width=8, seed=seed + 50, variable="rain")
        return ds.assign(rain=other["rain"].assign_attrs(units="mm"))

    ev = stgan.evaluate(pair(0, 24), _samples([pair(s, WINDOW) for s in (1, 2, 3)]), metrics=KEYS)
    ds, result = ev.metrics, ev.to_dict()
    assert list(ds["variable"].values) == ["field", "rain"]
    assert list(ds["variable_units"].values) == ["K", "mm"]
    assert ds["w1"].attrs["units"] == "units of the variable"  # K and mm: see variable_units
    assert ds["w1"].sel(variable="rain").item() == result["variables"]["rain"]["w1"]
    assert ds["cross_channel_correlation_error"].item() == result["cross_channel_correlation_error"]


def test_figures_are_matplotlib_figures_of_the_metrics(evaluation):
    figures = evaluation.figures
    assert list(figures) == [
        "rapsd_field",
        "acf_field",
        "hist_field",
        "frames_field",
        "series_field",
        "maps_field",
        "hovmoller_field",
    ]
    assert list(evaluation.animations) == ["animation_field"]
    assert all(isinstance(f, Figure) for f in figures.values())
    # the RAPSD figure draws the metrics' curves (bins k ≥ 1)
    real_line = figures["rapsd_field"].axes[0].lines[0]
    np.testing.assert_array_equal(
        real_line.get_ydata(), evaluation.metrics["rapsd_real"].sel(variable="field")[1:]
    )


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs)["src"])


def test_to_html_inlines_every_figure(evaluation, tmp_path):
    path = evaluation.to_html(tmp_path / "page" / "report.html")
    page = path.read_text()
    parser = _Images()
    parser.feed(page)
    # every figure as a PNG, then the animation as a GIF (tests/test_report_pictures.py)
    assert len(parser.sources) == len(evaluation.figures) + 1
    assert parser.sources.pop().startswith("data:image/gif;base64,")
    prefix = "data:image/png;base64,"
    for src in parser.sources:
        assert src.startswith(prefix)
        assert base64.b64decode(src[len(prefix) :])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<th>rapsd_lsd_db</th>" in page
    assert list(path.parent.iterdir()) == [path]  # nothing beside it


def test_notebook_views(evaluation):
    text = repr(evaluation)
    assert text.startswith("<stgan.Evaluation: generated (4 samples) vs reference data (8 windows)")
    field = evaluation.to_dict()["variables"]["field"]
    assert f"rapsd_lsd_db={field['rapsd_lsd_db']:.3f}" in text
    page = evaluation._repr_html_()
    assert "<table>" in page and page.count('src="data:image/png;base64,') == 7
    assert len(page) < 150_000  # small figures: a notebook keeps its outputs


def test_cli_writes_what_the_api_computes(files, evaluation, tmp_path):
    real, gen = files
    out = tmp_path / "ev"
    proc = run_stgan(
        "evaluate", "--real", str(real), "--generated", str(gen), "--output-dir", str(out),
        "--metrics", *KEYS,
    )  # fmt: skip
    assert proc.stdout.startswith(f"wrote {out / 'metrics.json'}, ")
    cli, api = json.loads((out / "metrics.json").read_text()), evaluation.to_dict()
    assert cli.keys() == api.keys()
    for key in ("schema", "units", "comparison", "window", "n_real_windows", "real"):
        assert cli[key] == api[key]
    for name, metrics in api["variables"].items():
        assert cli["variables"][name].keys() == metrics.keys()
        for key, value in metrics.items():
            if isinstance(value, str) or value is None:
                assert cli["variables"][name][key] == value
            else:
                np.testing.assert_allclose(cli["variables"][name][key], value, rtol=0, atol=1e-12)
    assert {p.stem for p in out.glob("*.png")} == set(evaluation.figures)
    assert (out / "animation_field.gif").read_bytes() == evaluation.animations["animation_field"]
    saved = evaluation.save(tmp_path / "api")
    assert json.loads(saved["metrics_path"].read_text()) == api
    assert saved["report_path"].read_text() == (out / "report.md").read_text()


def test_an_unknown_metric_is_one_message_in_the_api_and_the_cli(files, tmp_path, capsys):
    real, gen = files
    with pytest.raises(StganError) as err:
        stgan.evaluate(real, gen, metrics=["spectrum", "psnr"])
    message = str(err.value)
    assert message.startswith("unknown metric 'psnr'; valid metric keys: ")
    assert "spectrum" in message
    # The command's own entry point, in this process (a subprocess costs seconds of imports;
    # test_cli_writes_what_the_api_computes runs the real process).
    argv = ["evaluate", "--real", str(real), "--generated", str(gen)]
    argv += ["--output-dir", str(tmp_path / "ev"), "--metrics", "spectrum", "psnr"]
    assert main(argv) == 2
    assert capsys.readouterr().err == f"stgan: error: {message}\n"
    assert not (tmp_path / "ev").exists()


def test_generated_data_without_a_time_dimension_is_refused(files):
    real, gen = files
    frames = xr.load_dataset(gen).isel(time=0)
    with pytest.raises(StganError, match=r"'field' has dimensions \['sample', 'y', 'x'\]: no time"):
        stgan.evaluate(real, frames)
    with pytest.raises(StganError, match=r"not DataArray; make one with \.to_dataset\(\)"):
        stgan.evaluate(real, xr.load_dataset(gen)["field"])


def test_the_docstring_example_runs():
    failed, attempted = doctest.testmod(stgan.api.evaluation, verbose=False)
    assert attempted > 0 and failed == 0
