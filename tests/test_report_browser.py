"""The HTML report opened in a real browser: headless Debian Chromium driven by Playwright.

Every <img> must load (PNG figures and, once the report has one, the GIF animation), the page
must log no console or page error, and the metric table must show the numbers of metrics.json.
The test skips, saying why, where Playwright or Chromium cannot be had; .ci/run installs
Debian's chromium when it is missing. Playwright never downloads a browser here: it drives the
system's /usr/bin/chromium.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from conftest import run_stgan

from stgan.data.synthetic import make_grf
from stgan.io.netcdf import write_netcdf

CHROMIUM = os.environ.get("STGAN_CHROMIUM", "/usr/bin/chromium")
# A sandbox needs kernel features containers lack; no GPU, no network, no first-run profile work.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Collects, in the page, each <img> that did not decode and the text of each table.
_IMAGES_JS = """() => Array.from(document.images).map(i => ({
    src: i.currentSrc.slice(0, 40), complete: i.complete, width: i.naturalWidth}))"""
_TABLES_JS = """() => Array.from(document.querySelectorAll('table')).map(t =>
    Array.from(t.rows).map(r => Array.from(r.cells).map(c => c.innerText.trim())))"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless Chromium for the module, on a fresh profile; skips where none can be had."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
    )
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as pw:
        try:
            context = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
        except sync_api.Error as exc:
            pytest.skip(f"Chromium at {CHROMIUM} does not start under Playwright: {exc}")
        yield context
        context.close()


def open_page(context, path: Path) -> tuple[object, list[str]]:
    """Load ``path`` in a new tab; return the tab and a live list of the problems it reports."""
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(f"console error: {msg.text}") if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url[:60]}"))
    page.goto(path.as_uri(), wait_until="load")
    return page, problems


def broken_images(page) -> list[str]:
    """The <img> elements of ``page`` that did not load, as the start of their source."""
    return [i["src"] for i in page.evaluate(_IMAGES_JS) if not (i["complete"] and i["width"] > 0)]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """``stgan evaluate`` on a (48, 16, 16) GRF and 6 windows of another realisation."""
    root = tmp_path_factory.mktemp("browser")
    write_netcdf(make_grf(time=48, height=16, width=16, seed=3), root / "real.nc")
    other = make_grf(time=24, height=16, width=16, seed=4)
    gen = other["field"].values.reshape(6, 4, 16, 16)  # (sample, time, y, x)
    gen_ds = xr.Dataset(
        {"field": (("sample", "time", "y", "x"), gen, dict(other["field"].attrs))},
        coords={"y": other["y"], "x": other["x"]},
    )
    write_netcdf(gen_ds, root / "gen.nc")
    out = root / "ev"
    run_stgan(
        "evaluate",
        "--real",
        str(root / "real.nc"),
        "--generated",
        str(root / "gen.nc"),
        "--output-dir",
        str(out),
    )
    return out


def test_the_report_renders_in_chromium(browser, report, tmp_path):
    metrics = json.loads((report / "metrics.json").read_text())
    page, problems = open_page(browser, report / "report.html")

    images = page.evaluate(_IMAGES_JS)
    assert len(images) >= 6  # rapsd, acf, tpsd, hist, frames, series: at least these
    assert broken_images(page) == []
    assert all(i["src"].startswith("data:image/") for i in images)  # self-contained

    # The metric table: a header row of metric keys, one row per variable, numbers to 4 digits.
    tables = page.evaluate(_TABLES_JS)
    table = next(t for t in tables if "rapsd_lsd_db" in t[0])
    header = table[0]
    row = next(r for r in table[1:] if r[0].startswith("field"))
    field = metrics["variables"]["field"]
    for key in ("rapsd_lsd_db", "acf_rmse", "ks", "w1"):
        assert key in header, key
    shown = 0
    for key, cell in zip(header[1:], row[1:]):
        value = field[key]
        if value is None:
            assert cell == "–", key
        else:
            assert float(cell) == pytest.approx(value, rel=5e-4, abs=1e-12), key
            shown += 1
    assert shown >= 4

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    pixels = _png_pixels(shot.read_bytes())
    assert pixels.shape[0] > 500 and pixels.shape[1] > 500  # the full page, figures included
    # Not blank: a white page has one grey level; text, table and plots give many.
    assert len(np.unique(pixels)) > 50 and pixels.std() > 10
    page.close()
    assert problems == []


def test_the_checks_catch_a_broken_image_and_a_script_error(browser, tmp_path):
    """An animated GIF loads; a corrupt PNG and a script error are reported, nothing else."""
    page_file = tmp_path / "page.html"
    page_file.write_text(
        "<!doctype html><html><head><meta charset='utf-8'></head><body>"
        f"<img alt='animation' src='data:image/gif;base64,{_animated_gif()}'>"
        "<img alt='broken' src='data:image/png;base64,iVBORw0KGgoAAAAN'>"
        "<script>console.error('boom')</script></body></html>"
    )
    page, problems = open_page(browser, page_file)
    assert [i["src"][:14] for i in page.evaluate(_IMAGES_JS)] == ["data:image/gif"] + [
        "data:image/png"
    ]
    assert broken_images(page) == ["data:image/png;base64,iVBORw0KGgoAAAAN"]
    assert problems == ["console error: boom"]
    page.close()


def _animated_gif() -> str:
    """A two-frame 8 × 6 GIF, base64-encoded."""
    from PIL import Image

    frames = [Image.new("P", (8, 6), color) for color in (1, 2)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _png_pixels(data: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("L"))
