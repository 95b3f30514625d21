"""Run logs read back and drawn: `stgan report`, the CSV/TensorBoard loggers, per-eval logging."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from stgan.errors import StganError
from stgan.report.curves import alarm_spans, report_run
from stgan.report.runlog import active_spans, find_run_log, read_metrics_csv, series
from stgan.training.loggers import logger_config, pop_logger_choice
from tests.conftest import TINY_FIT, run_stgan

# A metrics.csv as Lightning's CSVLogger writes it (columns sorted, one row per logging call):
# training rows carry `epoch`, the domain metrics' rows at evaluation steps (2 and 4) do not,
# and the evaluation at step 2 shares its step with a training row.
LIGHTNING_CSV = """\
alarm_d_overpowering,d_accuracy,epoch,loss_d,loss_g,step,val_domain_score,val_w1_field
0.0,0.5,0,1.25,0.75,0,,
0.0,0.625,0,1.0,0.875,1,,
,,,,,2,3.5,0.25
1.0,0.75,0,0.5,1.5,2,,
1.0,1.0,1,0.25,2.0,3,,
,,,,,4,2.5,0.125
0.0,0.875,1,0.375,1.75,4,,
"""


def test_lightning_csv_rows_merge_into_one_row_per_step(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text(LIGHTNING_CSV)
    table = read_metrics_csv(path)
    assert list(table.index) == [0, 1, 2, 3, 4]
    assert "epoch" not in table.columns
    steps, loss_d = series(table, "loss_d")
    assert steps.tolist() == [0, 1, 2, 3, 4]
    assert loss_d.tolist() == [1.25, 1.0, 0.5, 0.25, 0.375]
    steps, score = series(table, "val_domain_score")
    assert steps.tolist() == [2, 4] and score.tolist() == [3.5, 2.5]
    assert series(table, "val_w1_field")[1].tolist() == [0.25, 0.125]
    # Step 2: the evaluation row and the training row, merged.
    assert table.loc[2, "loss_g"] == 1.5 and table.loc[2, "val_domain_score"] == 3.5
    assert np.isnan(table.loc[3, "val_domain_score"])
    # Without health.json the alarms come from the logged indicators: on at steps 2-3.
    assert alarm_spans(table, None) == [("d_overpowering", 2, 3)]


def test_active_spans_are_runs_of_raised_flags():
    flags = pd.Series([0, 1, 1, np.nan, 0, 1, 0, 1], index=[0, 10, 20, 25, 30, 40, 50, 60])
    assert active_spans(flags) == [(10, 20), (40, 40), (60, 60)]
    assert active_spans(pd.Series([0.0, 0.0])) == []


def test_missing_run_folder_and_missing_log_are_clear_errors(tmp_path):
    with pytest.raises(StganError, match="does not exist"):
        find_run_log(tmp_path / "nope")
    (tmp_path / "logs" / "version_0").mkdir(parents=True)
    with pytest.raises(StganError, match=r"looked for metrics.csv .* and events.out.tfevents"):
        report_run(tmp_path)
    proc = run_stgan("report", str(tmp_path), check=False)
    assert proc.returncode == 2 and proc.stderr.startswith("stgan: error: no training log in")
    assert not (tmp_path / "report").exists()  # nothing written on an error


def test_logger_choice_is_taken_out_of_the_arguments():
    args = ["--data.path", "x.nc", "--trainer.logger", "TensorBoard", "--trainer.max_steps", "3"]
    assert pop_logger_choice(args) == (
        ["--data.path", "x.nc", "--trainer.max_steps", "3"],
        "tensorboard",
    )
    assert pop_logger_choice(["--trainer.logger=csv"]) == ([], "csv")
    # Lightning's own forms are left to Lightning's parser.
    assert pop_logger_choice(["--trainer.logger", "false"]) == (["--trainer.logger", "false"], None)


def test_tensorboard_missing_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # as if not installed
    with pytest.raises(StganError, match=r"pip install stgan\[tensorboard\]"):
        logger_config("tensorboard", "run")
    assert logger_config("csv", "run").init_args.name == "logs"


def _fit(grf_file: Path, root: Path, *extra: str) -> None:
    run_stgan(
        "fit",
        "--data.path",
        str(grf_file),
        "--trainer.default_root_dir",
        str(root),
        "--trainer.max_steps",
        "6",
        "--trainer.enable_progress_bar",
        "false",
        *TINY_FIT,
        "--metrics.every_n_steps",
        "2",
        *extra,
    )


def test_csv_run_logs_health_at_each_evaluation_and_stgan_report_draws_it(grf_file, tmp_path):
    # A D 100× faster than G separates every sample within a few steps; detectors with no
    # warm-up, no smoothing and a duration of 1 raise d_overpowering in this short run.
    health = ["--health.warmup_steps", "0", "--health.smoothing", "0"]
    _fit(grf_file, tmp_path, "--model.lr_d", "0.02", *health, "--health.d_overpower_steps", "1")
    log = tmp_path / "logs" / "version_0" / "metrics.csv"
    table = read_metrics_csv(log)
    evals = series(table, "val_domain_score")[0].tolist()
    assert evals == [2, 4, 6]
    # Health signals and indicators are logged at exactly the evaluation steps.
    for column in ("health/d_accuracy_smooth", "health/grad_norm_g_smooth", "health/alarms"):
        assert series(table, column)[0].tolist() == evals, column
    flags = series(table, "health/alarm_d_overpowering")[1]
    assert set(flags.tolist()) <= {0.0, 1.0} and flags[-1] == 1.0
    # With smoothing 0 the smoothed accuracy is the step's own, so it is a real accuracy.
    assert 0.0 <= table.loc[6, "health/d_accuracy_smooth"] <= 1.0

    proc = run_stgan("report", str(tmp_path))
    out = tmp_path / "report"
    assert f"wrote {out / 'report.md'} and 4 figure(s)" in proc.stdout
    markdown = (out / "report.md").read_text()
    for name in ("losses", "grad_norms", "d_accuracy_diversity", "domain_metrics"):
        png = out / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
        assert f"![{name}]({name}.png)" in markdown
    assert "| d_overpowering |" in markdown and "Health: **alarms**" in markdown


def test_tensorboard_logger_writes_losses_domain_metrics_and_health(grf_file, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    _fit(grf_file, tmp_path, "--trainer.logger", "tensorboard")
    folder = tmp_path / "logs" / "version_0"
    assert len(list(folder.glob("events.out.tfevents.*"))) == 1
    assert not (folder / "metrics.csv").exists()
    assert (folder / "checkpoints" / "health.json").exists()  # the layout of a csv run
    events = EventAccumulator(str(folder), size_guidance={"scalars": 0})
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"loss_d", "loss_g", "d_accuracy", "grad_norm_g"} <= tags
    assert {"val_domain_score", "val_rapsd_lsd_db_field", "val_acf_rmse_field"} <= tags
    assert [e.step for e in events.Scalars("val_domain_score")] == [2, 4, 6]
    assert [e.step for e in events.Scalars("health/alarm_mode_collapse")] == [2, 4, 6]
    assert all(np.isfinite(e.value) for e in events.Scalars("val_domain_score"))
    # The saved config names the logger in full, so `stgan fit --config` repeats the run.
    config = yaml.safe_load((folder / "config.yaml").read_text())
    assert config["trainer"]["logger"]["class_path"].endswith("TensorBoardLogger")
    assert config["trainer"]["logger"]["init_args"]["save_dir"] == str(tmp_path)

    result = report_run(tmp_path, tmp_path / "curves")
    assert result["log_format"] == "tensorboard" and len(result["figures"]) == 4
    assert series(result["series"], "val_domain_score")[0].tolist() == [2, 4, 6]
    # The same values as TensorBoard holds (float32 there).
    tb = [e.value for e in events.Scalars("loss_d")]
    assert series(result["series"], "loss_d")[1] == pytest.approx(tb)


def test_training_signals_are_logged_at_each_logging_step_and_only_there(grf_file, tmp_path):
    # The module and the health monitor skip self.log at iterations Lightning does not write
    # (logs_this_step); every writing iteration still gets every signal.
    _fit(grf_file, tmp_path, "--trainer.log_every_n_steps", "2")
    table = read_metrics_csv(tmp_path / "logs" / "version_0" / "metrics.csv")
    steps = series(table, "loss_d")[0].tolist()
    assert len(steps) == 3 and steps == sorted(set(steps))  # iterations 2, 4, 6 of 6
    for column in ("loss_g", "grad_norm_d", "d_accuracy", "alarms", "alarm_d_overpowering"):
        assert series(table, column)[0].tolist() == steps, column
