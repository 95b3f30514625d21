"""Every command in README.md and docs/ runs as written, so the documentation cannot rot.

Each page's ```bash and ```console blocks are cut into command lines (a trailing backslash
continues a line; ``#`` starts a comment; in console blocks commands start with ``$ `` and
the lines after one are its printed output). The commands of one page run in order, as real
processes, in a fresh folder holding a copy of ``configs/`` and ``examples/`` (the docs say
to run from a checkout), so each page makes its own data files. ``stgan`` runs as
``python -m stgan.cli`` would, forked from a warm interpreter (:mod:`cli_processes`), and ``python``
as this interpreter, with this checkout first on ``PYTHONPATH``. A console block that shows
``stgan: error: ...`` expects exit status 2 and exactly that line on stderr; every other
command must exit 0. Python blocks must compile, YAML and JSON blocks must parse, and every
``::: module`` of the API reference must import. The extending page's example files are
written into a copy of the package and their tests run there; the health page's
``health.json`` is checked against the real detector, remedies and record; the metrics page
must list every metric of the registry.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cli_processes
import pytest
import yaml
from test_known_answers import marked_tests

from stgan.health.detectors import DETECTORS
from stgan.health.remedies import REMEDIES
from stgan.health.summary import health_record
from stgan.metrics.registry import METRICS

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

# Commands shown but not run, each with why; every entry must still appear in the docs.
EXEMPT = {
    'pip install "torch==2.13.0" -e ".[dev]" && stgan demo': "installs; tests/test_demo.py runs the demo",
    'pip install "torch==2.13.0" -e ".[dev]"': "installs",
    "python -m pytest -q": "runs the whole suite",
    "stgan fit --config configs/demo.yaml --config configs/hinge-sn-r1.yaml --data.path data.nc "
    "--trainer.accelerator gpu --trainer.devices 4 --trainer.strategy ddp": "needs four GPUs",
    "torchrun --standalone --nproc_per_node 4 -m stgan.cli fit --config configs/demo.yaml "
    "--data.path data.nc --trainer.accelerator gpu --trainer.devices 4 --trainer.strategy ddp": (
        "needs four GPUs"
    ),
    "srun stgan fit --config configs/demo.yaml --data.path data.nc --data.num_workers 4 "
    "--trainer.accelerator gpu --trainer.strategy ddp --trainer.num_nodes 2 --trainer.devices 4 "
    "--trainer.default_root_dir runs/cluster": "needs a SLURM cluster with GPUs",
    "sbatch train.sbatch": "needs a SLURM cluster with GPUs",
    "torchrun --nnodes 2 --nproc_per_node 4 --rdzv_backend c10d --rdzv_endpoint HOST:29500 "
    "-m stgan.cli fit --config configs/demo.yaml --data.path data.nc --trainer.accelerator gpu "
    "--trainer.strategy ddp --trainer.num_nodes 2 --trainer.devices 4": "needs two GPU nodes",
}

_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.M | re.S)
_DIRECTIVE = re.compile(r"^::: ([\w.]+)", re.M)


@dataclass(frozen=True)
class Command:
    """One documented command line and what its block says it prints."""

    line: str
    error: str | None = None  # the `stgan: error: ...` line a console block shows


def blocks(text: str, language: str) -> list[str]:
    """The bodies of the fenced code blocks of ``language`` in ``text``, in order."""
    return [body for lang, body in _FENCE.findall(text) if lang == language]


def _logical_lines(body: str) -> list[str]:
    """Lines of ``body`` with backslash continuations joined."""
    lines, pending = [], ""
    for raw in body.splitlines():
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1].rstrip() + " "
            continue
        lines.append(pending + raw.strip())
        pending = ""
    return lines


def commands(text: str) -> list[Command]:
    """Every command of the bash and console blocks of a page, in page order."""
    found: list[Command] = []
    for lang, body in _FENCE.findall(text):
        if lang == "bash":
            for line in _logical_lines(body):
                line = _strip_comment(line)
                if line:
                    found.append(Command(_canonical(line)))
        elif lang == "console":
            current: str | None = None
            error: str | None = None
            for line in _logical_lines(body):
                if line.startswith("$ "):
                    if current is not None:
                        found.append(Command(current, error))
                    current, error = _canonical(line[2:]), None
                elif line.startswith("stgan: error:"):
                    error = line
            if current is not None:
                found.append(Command(current, error))
    return found


def _strip_comment(line: str) -> str:
    """``line`` without a shell comment: a ``#`` after a blank, outside quotes."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].strip()
    return line.strip()


def _canonical(line: str) -> str:
    """``line`` with its quoting kept but its spacing normalised (the key of EXEMPT)."""
    return re.sub(r"\s+", " ", line.strip())


def _run(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run one documented command line in ``cwd``: ``stgan`` as a warm-forked process."""
    words = shlex.split(line, comments=True)
    program, rest = words[0], words[1:]
    if program == "stgan":
        return cli_processes.run(rest, cwd=cwd, env=env)
    if program in ("python", "python3"):
        argv = [sys.executable, *rest]
        return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    raise AssertionError(f"documented command {line!r} runs {program!r}: run it here or exempt it")


def _run_page(page: Path, tmp: Path) -> None:
    shutil.copytree(ROOT / "stgan" / "configs", tmp / "configs")
    shutil.copytree(ROOT / "examples", tmp / "examples")
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env["MPLBACKEND"] = "Agg"
    for cmd in commands(page.read_text()):
        if cmd.line in EXEMPT:
            continue
        done = _run(cmd.line, tmp, env)
        where = f"{page.relative_to(ROOT)}: `{cmd.line}` exited {done.returncode}"
        tail = f"\n--- stderr (end) ---\n{done.stderr[-3000:]}"
        if cmd.error is None:
            assert done.returncode == 0, where + tail
        else:
            assert done.returncode == 2, where + tail
            assert cmd.error in done.stderr.splitlines(), f"{where}: expected {cmd.error!r}" + tail


RUNNABLE = [p for p in PAGES if any(c.line not in EXEMPT for c in commands(p.read_text()))]


@pytest.fixture(scope="module")
def page_runs(tmp_path_factory) -> dict[Path, str | None]:
    """Each runnable page's commands in order, two pages at a time: the threads only wait for
    the processes, which leave the second core idle when run one by one. Maps each page to
    its failure message (None: every command did as the page says)."""
    folders = [tmp_path_factory.mktemp(page.stem) for page in RUNNABLE]

    def run(page: Path, tmp: Path) -> str | None:
        try:
            _run_page(page, tmp)
        except AssertionError as err:
            return str(err)
        return None

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(RUNNABLE, pool.map(run, RUNNABLE, folders)))


@pytest.mark.parametrize("page", RUNNABLE, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_documented_command_runs(page: Path, page_runs: dict[Path, str | None]) -> None:
    failure = page_runs[page]
    assert failure is None, failure


def test_the_parser_reads_continuations_comments_and_console_errors() -> None:
    page = (
        "```bash\nstgan fit --config a.yaml \\\n    --data.path 'x y.nc'  # why\n# note\n```\n"
        "```console\n$ stgan fit --model.loss.name focal\nstgan: error: unknown loss 'focal'\n"
        "$ stgan survey d.nc\nfiles: 1\n```\n```text\n$ stgan ignored\n```\n"
    )
    assert commands(page) == [
        Command("stgan fit --config a.yaml --data.path 'x y.nc'"),
        Command("stgan fit --model.loss.name focal", "stgan: error: unknown loss 'focal'"),
        Command("stgan survey d.nc"),
    ]


def test_the_readme_shows_the_whole_path_and_the_two_setup_commands() -> None:
    lines = [c.line for c in commands((ROOT / "README.md").read_text())]
    assert lines[:2] == [
        'pip install "torch==2.13.0" -e ".[dev]" && stgan demo',
        "python -m pytest -q",
    ]
    for step in ("make-data", "survey", "fit", "generate", "evaluate", "report"):
        assert any(line.startswith(f"stgan {step} ") for line in lines), step


def test_every_exempt_command_is_still_documented() -> None:
    shown = {c.line for page in PAGES for c in commands(page.read_text())}
    assert set(EXEMPT) <= shown, set(EXEMPT) - shown


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_compile_and_yaml_blocks_parse(page: Path) -> None:
    text = page.read_text()
    for i, code in enumerate(blocks(text, "python")):
        compile(code, f"{page.name}:python-block-{i}", "exec")
    for body in blocks(text, "yaml"):
        assert isinstance(yaml.safe_load(body), dict)
    for body in blocks(text, "json"):
        assert isinstance(json.loads(body), dict)


# The first line of an example file's block names where it goes: `# stgan/...py`, `# tests/...py`.
_EXAMPLE_PATH = re.compile(r"# ((?:stgan|tests)/[\w/]+\.py)\n")


def test_the_extending_examples_register_and_compute(tmp_path: Path) -> None:
    # As the page says: drop the files into the package (here a copy of it) and run their tests,
    # with the docstring test and the generic registry tests over the package they extend.
    shutil.copytree(
        ROOT / "stgan", tmp_path / "stgan", ignore=shutil.ignore_patterns("__pycache__")
    )
    (tmp_path / "tests").mkdir()
    examples = []
    for body in blocks((ROOT / "docs" / "guide" / "extending.md").read_text(), "python"):
        if found := _EXAMPLE_PATH.match(body):
            (tmp_path / found.group(1)).write_text(body)
            examples.append(found.group(1))
    assert sorted(examples) == [
        "stgan/stabilization/gterms/moment_matching.py",
        "stgan/stabilization/penalties/drift.py",
        "tests/test_gterm_moment_matching.py",
        "tests/test_penalty_drift.py",
    ]
    for name in ("test_docstrings.py", "test_registry.py"):
        shutil.copy(ROOT / "tests" / name, tmp_path / "tests" / name)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # Every test of the example test files ran and passed, and nothing was skipped.
    for path in examples:
        if path.startswith("tests/"):
            names = re.findall(r"^def (test_\w+)", (tmp_path / path).read_text(), re.M)
            assert names, path
            for name in names:
                assert f"{path}::{name} PASSED" in done.stdout, f"{path}::{name} did not pass"
    assert "skipped" not in done.stdout.strip().splitlines()[-1]
    # ... and the example tests carry the marks that make the new keys count as tested.
    marks = {(kind, tuple(keys)) for _, kind, keys, _ in marked_tests(tmp_path / "tests")}
    assert marks == {("penalty", ("drift",)), ("generator term", ("moment_matching",))}


def test_the_health_json_example_is_what_the_monitor_writes() -> None:
    (body,) = blocks((ROOT / "docs" / "guide" / "health.md").read_text(), "json")
    shown = json.loads(body)
    (alarm,) = shown["alarms"]
    # The message and evidence are the real detector's for the evidence shown (defaults:
    # collapse_diversity 0.25, collapse_directions 0.5, collapse_steps 20).
    detector = DETECTORS.build("mode_collapse", threshold=0.25, directions=0.5, min_steps=20)
    smoothed = {f"{k}_smooth": v for k, v in alarm["evidence"].items()}
    assert detector.test(smoothed) == alarm["evidence"]
    assert detector.describe(alarm["evidence"], alarm["first_step"]) == alarm["message"]
    # The remedies quoted are the catalogue's, in its order (the page cuts the list short).
    quoted = [r for r in alarm["remedies"] if r != "..."]
    assert quoted == REMEDIES[alarm["name"]][: len(quoted)]
    # The record around it is health_record's for that alarm, still active at the end.
    record = health_record(
        {alarm["name"]: {k: v for k, v in alarm.items() if k != "active_at_end"}},
        {alarm["name"]: alarm["active_at_end"]},
        [(shown["best_step"], shown["best_domain_score"]), (shown["final_step"], 9.9)],
        final_step=shown["final_step"],
        final_state=None,
        rollbacks=shown["rollbacks"],
    )
    assert record == shown


def test_the_metrics_page_lists_every_metric_of_the_registry() -> None:
    text = (ROOT / "docs" / "guide" / "metrics.md").read_text()
    rows = {line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| `")}
    assert rows == {f"`{key}`" for key in METRICS.keys()}


def test_every_api_reference_target_imports() -> None:
    targets = [t for page in PAGES for t in _DIRECTIVE.findall(page.read_text())]
    assert len(targets) >= 5
    for target in targets:
        importlib.import_module(target)


def test_readme_links_point_at_files() -> None:
    text = (ROOT / "README.md").read_text()
    for link in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" not in link:
            assert (ROOT / link).exists(), link


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    pytest.importorskip(
        "mkdocs", reason="mkdocs is in the dev extra; without it the site is not built"
    )
    pytest.importorskip("material", reason="mkdocs-material is in the dev extra")
    pytest.importorskip("mkdocstrings", reason="mkdocstrings is in the dev extra")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "site" / "guide" / "metrics" / "index.html").exists()
