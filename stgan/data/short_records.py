"""Short records: too few distinct training windows for the batch and cluster settings.

A record of a few hundred steps offers a few hundred window starts, and neighbouring starts
overlap in all but one step, so the independent windows are fewer still. A discriminator shown
the same few windows for thousands of updates memorises them, and the generator learns to copy
them (Karras et al. 2020 saw D overfit on sets of a few thousand images); k-means asked for more
clusters than such a record holds modes splits near-copies of one window instead of modes.
Neither shows in the losses, so ``stgan fit`` says so before training.

The thresholds are rules of thumb, not measured limits: below them, expect memorisation.
"""

from __future__ import annotations

# Fewest distinct training windows per window of a batch: fewer than this many batches' worth
# and one pass over the distinct windows is under 32 updates, so a run of thousands of updates
# shows D each window hundreds of times.
BATCHES = 32
# Fewest distinct training windows per cluster of model.clusters: k-means centroids (and the
# silhouette that judges them) of fewer windows follow the individual windows, not modes.
WINDOWS_PER_CLUSTER = 32


def short_record_warning(windows: int, batch_size: int, clusters: int = 0) -> str | None:
    """The warning for a training split of ``windows`` distinct windows, or None if enough.

    Parameters
    ----------
    windows : int
        Distinct training windows (every start position:
        :meth:`stgan.data.datamodule.SpaceTimeDataModule.count_windows`).
    batch_size : int
        Windows per batch.
    clusters : int
        ``model.clusters`` (0: off).

    Returns
    -------
    str | None
        One line naming the count, the thresholds it falls below, why that matters and what
        to change; None when ``windows`` reaches :data:`BATCHES` × ``batch_size`` and
        :data:`WINDOWS_PER_CLUSTER` × ``clusters``.
    """
    short, why, fixes = (
        [],
        [],
        [
            "a shorter or smaller window (data.window_length, "
            "data.window_height, data.window_width)",
            "more data (a longer record, or several files in data.path)",
        ],
    )
    if windows < BATCHES * batch_size:
        short.append(f"fewer than {BATCHES} batches of {batch_size} ({BATCHES * batch_size})")
        why.append("D can memorise so few windows and G learn to copy them")
    if clusters and windows < WINDOWS_PER_CLUSTER * clusters:
        short.append(
            f"fewer than {WINDOWS_PER_CLUSTER} per cluster of model.clusters {clusters} "
            f"({WINDOWS_PER_CLUSTER * clusters})"
        )
        why.append("clusters of so few windows split near-copies of one window, not modes")
        fit = windows // WINDOWS_PER_CLUSTER
        fixes.append(f"fewer clusters (model.clusters {f'{fit} or 0' if fit >= 2 else '0'})")
    if not short:
        return None
    return (
        f"stgan: warning: short record: the training split holds only {windows} distinct "
        f"windows, {' and '.join(short)}: {'; '.join(why)}. Use {', '.join(fixes[:-1])} "
        f"or {fixes[-1]}"
    )
