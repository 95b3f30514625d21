"""The fast paths of ``stgan fit``: default precision, the CPU bf16 check, channels-last memory."""

from __future__ import annotations

import pytest
import torch

import stgan
from stgan.checkpoint import load_checkpoint
from stgan.data.synthetic import make_grf
from stgan.training.memory_format import channels_last, to_channels_last
from stgan.training.precision import (
    BF16_TOLERANCE,
    bf16_conv3d_error,
    fastest_precision,
    native_bf16_cpu,
    onednn_off_for_bf16,
)
from tests.conftest import TINY_API

TINY = {
    **TINY_API,
    "data.batch_size": 4,
    "metrics.every_n_steps": 0,
}


def test_bf16_conv3d_reproducer_and_the_default_precision_agree():
    # The case that once broke oneDNN (2 steps under a 3x3x3 kernel, bf16 autocast): torch's
    # own kernels are right everywhere; where oneDNN is wrong, bf16 is never the CPU default.
    assert bf16_conv3d_error(onednn=False) < BF16_TOLERANCE
    onednn = bf16_conv3d_error(onednn=True)
    assert onednn > 1e-4  # bf16 rounding is there: the check does compute in bf16
    expected = "bf16-mixed" if native_bf16_cpu() and onednn < BF16_TOLERANCE else "32-true"
    assert fastest_precision("cpu") == expected  # a GPU beside the CPU changes nothing
    if not torch.cuda.is_available():
        assert fastest_precision() == fastest_precision("auto") == expected
    # A CPU bf16 run keeps oneDNN exactly where the check passes.
    assert (onednn_off_for_bf16() is None) == (onednn < BF16_TOLERANCE)


@pytest.fixture(scope="module")
def twin_runs(tmp_path_factory):
    """Two 3-step fits from one seed: channels-last (the default) and contiguous memory."""
    ds = make_grf(time=48, height=8, width=8, seed=3)
    runs = {}
    for fast in (True, False):
        root = tmp_path_factory.mktemp(f"channels_last_{fast}")
        runs[fast] = stgan.fit(
            ds, "demo", max_steps=3, seed=0, root_dir=root, progress=False,
            **TINY, **({} if fast else {"model.channels_last": False}),
        )  # fmt: skip
    return runs


def test_fit_records_the_fastest_precision_as_its_default(twin_runs):
    # The runs train on the CPU (trainer.accelerator cpu): the CPU's precision, GPU or not.
    assert twin_runs[True].config["trainer"]["precision"] == fastest_precision("cpu")
    assert twin_runs[True].config["model"]["channels_last"] is True
    assert twin_runs[False].config["model"]["channels_last"] is False


def test_channels_last_training_gives_the_weights_of_contiguous_training(twin_runs):
    fast, plain = (load_checkpoint(twin_runs[f].last_checkpoint) for f in (True, False))
    assert fast["global_step"] == plain["global_step"] == 3  # both trained their 3 steps
    fast, plain = fast["state_dict"], plain["state_dict"]
    assert fast.keys() == plain.keys()
    for key, value in plain.items():
        if value.is_floating_point():
            # Same values, other strides: only the kernels' summation order differs.
            torch.testing.assert_close(fast[key].contiguous(), value, rtol=1e-4, atol=1e-5)


def test_to_channels_last_keeps_parameters_and_values():
    conv = torch.nn.Conv3d(3, 4, 3)
    head = torch.nn.Conv3d(4, 1, 3)
    weight, values = conv.weight, conv.weight.detach().clone()
    to_channels_last(conv, head, None)
    assert conv.weight is weight  # an optimiser built before still holds it
    assert conv.weight.is_contiguous(memory_format=torch.channels_last_3d)
    assert head.weight.is_contiguous()  # one output channel: left as it is
    torch.testing.assert_close(conv.weight.detach(), values)
    x = torch.randn(2, 3, 4, 5, 6)
    assert channels_last(x).is_contiguous(memory_format=torch.channels_last_3d)
    assert channels_last(torch.randn(2, 3)).shape == (2, 3)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_fastest_precision_on_a_gpu_is_mixed():
    expected = "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    assert fastest_precision() == fastest_precision("gpu") == fastest_precision("cuda") == expected
