"""Mixed precision: gradient penalties stay finite and right under autocast; GPU training runs.

The CPU autocast tests run everywhere; the CUDA tests run only where a GPU is present (CI and
the development machine have none; they passed on an NVIDIA H200 on 2026-12-04).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from stgan.metrics import rapsd, temporal_acf
from stgan.nn.discriminators import DISCRIMINATORS
from stgan.stabilization.penalties import PENALTIES
from tests.conftest import TINY_FIT, run_stgan

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _penalties(device: str, dtype: torch.dtype | None) -> dict[str, float]:
    torch.manual_seed(0)
    d = DISCRIMINATORS.build("conv3d", channels=1, width=8, depth=2, spectral_norm=True).to(device)
    real = torch.randn(4, 1, 4, 16, 16, device=device) * 50  # large inputs, as unnormalised data
    fake = torch.randn(4, 1, 4, 16, 16, device=device) * 50
    out = {}
    for key in ("gp", "r1", "r2", "dragan"):
        generator = torch.Generator(device=device).manual_seed(1)
        reg = PENALTIES.build(key)
        with torch.autocast(
            device_type=device, dtype=dtype or torch.float32, enabled=dtype is not None
        ):
            value = reg(d, real, fake, generator=generator)
            value.backward()  # differentiable w.r.t. D's parameters, as in training
        assert value.dtype == torch.float32
        out[key] = float(value.detach())
        grads = [p.grad for p in d.parameters() if p.grad is not None]
        assert grads and all(torch.isfinite(g).all() for g in grads)
        d.zero_grad()
    return out


@pytest.mark.parametrize(
    "device, dtype, rel",
    [
        ("cpu", torch.bfloat16, 1e-3),
        ("cpu", torch.float16, 1e-3),
        pytest.param("cuda", torch.bfloat16, 1e-2, marks=cuda),
        pytest.param("cuda", torch.float16, 1e-2, marks=cuda),  # TF32 convolutions on the GPU
    ],
)
def test_penalties_under_autocast_equal_float32(device, dtype, rel):
    # Differentiating D under autocast instead would be ~1 % off on CPU (float16 and bfloat16).
    ref, amp = _penalties(device, None), _penalties(device, dtype)
    for key in ref:
        assert np.isfinite(amp[key])
        assert amp[key] == pytest.approx(ref[key], rel=rel, abs=1e-9 if device == "cpu" else 1e-7)


def test_bf16_mixed_training_on_cpu_writes_finite_checkpoints(tmp_path, grf_file):
    root = tmp_path / "run"
    run_stgan(
        "fit",
        "--config",
        "configs/demo.yaml",
        "--config",
        "configs/wgan-gp.yaml",
        "--data.path",
        str(grf_file),
        "--trainer.max_steps",
        "3",
        "--trainer.precision",
        "bf16-mixed",
        "--trainer.default_root_dir",
        str(root),
        *TINY_FIT,
    )
    state = torch.load(next(root.rglob("last*.ckpt")), weights_only=True)["state_dict"]
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())


@cuda
def test_metrics_on_cuda_tensors_equal_cpu():
    x = torch.randn(50, 8, 32, 24)
    np.testing.assert_allclose(rapsd(x.cuda()).cpu().numpy(), rapsd(x).numpy(), rtol=1e-5)
    np.testing.assert_allclose(
        temporal_acf(x.cuda(), 5).cpu().numpy(), temporal_acf(x, 5).numpy(), rtol=1e-5, atol=1e-6
    )


@cuda
@pytest.mark.parametrize("precision", ["16-mixed", "bf16-mixed"])
@pytest.mark.parametrize("preset", ["wgan-gp", "hinge-sn-r1"])
def test_gpu_mixed_precision_training_writes_finite_checkpoints(
    tmp_path, grf_file, precision, preset
):
    root = tmp_path / "run"
    tiny = [a if a != "cpu" else "gpu" for a in TINY_FIT]
    run_stgan(
        "fit",
        "--config",
        "configs/demo.yaml",
        "--config",
        f"configs/{preset}.yaml",
        "--data.path",
        str(grf_file),
        "--trainer.max_steps",
        "6",
        "--trainer.precision",
        precision,
        "--trainer.default_root_dir",
        str(root),
        *tiny,
    )
    ckpt = next(root.rglob("last*.ckpt"))
    state = torch.load(ckpt, weights_only=True, map_location="cpu")["state_dict"]
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())
    # 16-mixed: the gradient scaler's overflows in the first steps are skipped steps, not a
    # divergence; the logged gradient norms are unscaled (the loss scale starts at 65536).
    health = json.loads(next(root.rglob("health.json")).read_text())
    assert health["rollbacks"] == 0
    logged = pd.read_csv(next(root.rglob("metrics.csv")))["grad_norm_d"].dropna()
    assert len(logged) and (logged < 1e3).all()
    out = tmp_path / "gen.nc"
    run_stgan("generate", "--checkpoint", str(ckpt), "--num-samples", "4", "--output", str(out))
    import xarray as xr

    with xr.open_dataset(out) as ds:
        assert np.isfinite(ds["field"].values).all()
