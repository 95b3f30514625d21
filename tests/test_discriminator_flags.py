"""The discriminator flags, written once, reach every discriminator with its old layout."""

from __future__ import annotations

import inspect

from stgan.nn.discriminator_flags import DiscriminatorFlags
from stgan.nn.discriminators import DISCRIMINATORS

D_FLAGS = ["periodic_x", "spectral_norm", "minibatch_std", "mask_channel"]
TINY_D = dict(width=4, depth=2)


def test_every_discriminator_takes_the_flags_by_name_with_its_checkpoint_layout():
    # The flags are written once (DiscriminatorFlags) and reach every part. The modules and
    # their input widths are those recorded before the flags were factored out, so checkpoints
    # made with every flag on still load: widths 4, 8, 16 (TINY_D), 2 variables + 1 mask
    # channel in, + 1 minibatch-std channel before the last block (or before the cell).
    trunk = {"features.0.0": 3, "features.1.0": 4, "features.3.0": 8 + 1, "head": 16}
    layouts = {
        "conv3d": trunk,
        "convgru": {
            **{"encoder.0.0": 3, "encoder.1.0": 4, "encoder.2.0": 8},
            "cell.gates": 16 + 1 + 32,  # encoded frame + minibatch std, and the 32-channel state
            "cell.candidate": 16 + 1 + 32,
            "head": 32,
        },
        "spatiotemporal": {
            f"{part}.{k}": c for part in ("spatial", "temporal") for k, c in trunk.items()
        },
    }
    assert set(layouts) == set(DISCRIMINATORS.keys())
    for key, layout in layouts.items():
        params = inspect.signature(DISCRIMINATORS.get(key)).parameters
        assert {f: params[f].default for f in D_FLAGS} == dict.fromkeys(D_FLAGS, False), key
        d = DISCRIMINATORS.build(key, channels=2, **TINY_D, **dict.fromkeys(D_FLAGS, True))
        assert d.flags == DiscriminatorFlags(True, True, True, True)
        state = d.state_dict()
        suffix = ".parametrizations.weight.original"  # spectral norm on every weight
        widths = {k.removesuffix(suffix): v.shape[1] for k, v in state.items() if suffix in k}
        assert widths == layout, key
        assert len(state) == 4 * len(layout)  # bias, weight, power-iteration u and v
