"""``model.compile``: G and D trained through torch.compile, or uncompiled with one line saying why."""

from __future__ import annotations

import logging

import pytest
import torch
import torch._inductor.config as inductor_config

import stgan
from stgan.checkpoint import load_checkpoint
from stgan.data.synthetic import make_grf
from stgan.nn.generators import GENERATORS
from stgan.training.compile import compile_networks
from stgan.training.loading import load_module
from tests.conftest import TINY_API

# Tiny networks on an 8x8 grid: compiling them is most of the test's time.
TINY = {
    **TINY_API,
    "data.batch_size": 2,
    "metrics.every_n_steps": 0,
}


def test_fit_two_steps_with_compile(tmp_path, caplog):
    ds = make_grf(time=48, height=8, width=8, seed=3)
    with caplog.at_level(logging.INFO):
        run = stgan.fit(
            ds, "demo", max_steps=2, root_dir=tmp_path, progress=False,
            **TINY, **{"model.compile": True},
        )  # fmt: skip
    said = [line for line in caplog.text.splitlines() if "model.compile" in line]
    assert len(said) == 1
    assert "G and D compiled with torch.compile" in said[0] or "training uncompiled" in said[0]
    assert run.health.final_step == 2
    ckpt = load_checkpoint(run.checkpoint)
    assert ckpt["hyper_parameters"]["compile"] is True
    # Compiled in place: the checkpoint has the plain modules' keys, so it loads (strictly)
    # into a module that never compiles (compilation happens only in fit).
    module = load_module(ckpt)
    assert module.generator._compiled_call_impl is None
    assert all(torch.isfinite(p).all() for p in module.parameters())


@pytest.mark.filterwarnings("ignore:dynamo_pgo force disabled")
def test_without_a_c_compiler_training_runs_uncompiled(caplog):
    g = GENERATORS.build("convgru", channels=1, latent_channels=2, hidden_channels=4, width=2)
    torch.compiler.reset()  # forget any earlier compilation of the probe in this process
    # No C++ compiler for Inductor's CPU kernels, and no cached kernels to stand in for one.
    no_compiler = {"cpp.cxx": ("/nonexistent/c++",), "force_disable_caches": True}
    with inductor_config.patch(no_compiler), caplog.at_level(logging.INFO):
        assert compile_networks({"G": g}, torch.device("cpu")) == []
    said = [line for line in caplog.text.splitlines() if "model.compile" in line]
    assert len(said) == 1
    assert (
        "training uncompiled, torch.compile fails here (InductorError: InvalidCxxCompiler"
        in (said[0])
    )
    assert g._compiled_call_impl is None  # left as it was: it trains eagerly
    window = (3, 8, 8)
    assert g(torch.randn(2, *g.latent_shape(window)), window).shape == (2, 1, *window)
