"""Conditioning: channels that tell both networks where and when a window lies.

Real fields are neither translation-invariant nor stationary: the cold tongue sits in the east
Pacific, July is warmer than January and 2080 warmer than 1980. An unconditional,
translation-equivariant generator cannot say "a July over the Pacific in 2080". With
``data.conditions`` every training window comes with extra channels computed from its place
(:class:`~stgan.conditioning.place.Place`: its corner in the grid and the dates of its steps),
one kind per file in :mod:`stgan.conditioning.kinds`:

===========  ===========  =============================================================
key          channels     what they hold
===========  ===========  =============================================================
coords       4            sin and cos of latitude and longitude (of the scaled grid index
                          on a projected grid)
calendar     2 (4)        sin and cos of the position in the year (and of the time of day
                          for sub-daily data)
year         1            the calendar year plus year fraction, standardised over the
                          training split: the handle on a trend
climatology  2·C          per-gridpoint mean and std of each variable for the step's
                          calendar month, over the training split, standardised units
static       S            2-D fields from files (``data.static: [topo.nc:z]``),
                          standardised: topography, land fraction, ...
coarse       C            the window averaged over ``factor`` × ``factor`` blocks, repeated
                          onto the grid (downscaling)
past         C + 1        the window's first ``frames`` steps and a given-step indicator
                          (nowcasting)
gaps         C + 1        the window with a gap at 0 and a known-cell indicator (gap
                          filling)
===========  ===========  =============================================================

The last three are computed from the data themselves (``Place.field``: the real window in
training, a task's input when sampling; :mod:`stgan.tasks`), and G's output keeps the
values ``past`` and ``gaps`` give (copy-through, in
:class:`~stgan.conditioning.network.ConditionedGenerator`).

How the networks take them (:mod:`stgan.conditioning.network`): D sees them concatenated to
its input channels, so it judges each window against its own place; G gets them twice, pooled
onto its latent (a global shift of the latent: the month or the year changes the whole
window) and concatenated to its output in a residual refinement at full resolution (a local
correction: the mean and spread at each grid point). Concatenation rather than FiLM keeps the
base networks unchanged; both are documented in ``docs/guide/conditioning.md``.

The checkpoint keeps the conditions' fitted fields (climatology, static fields, year
statistics) as buffers, so sampling needs no training data: ``stgan generate --month 7
--year 2080`` chooses the conditions of the samples.
"""

from __future__ import annotations

from stgan.registry import Registry

# Condition kinds, one module each in stgan/conditioning/kinds.
CONDITIONS = Registry("condition", package="stgan.conditioning.kinds")
