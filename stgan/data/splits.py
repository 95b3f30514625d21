"""Leak-free time splits: contiguous train / validation / test blocks with gaps between them."""

from __future__ import annotations

from stgan.errors import StganError


def time_splits(
    n_time: int, *, window_length: int, val_fraction: float, test_fraction: float
) -> dict[str, slice]:
    """Cut ``range(n_time)`` into contiguous ``train``, ``val`` and ``test`` blocks.

    A gap of ``window_length`` steps separates neighbouring blocks, so no window drawn from one
    block shares a time step with a window from another. A fraction of 0 gives an empty block
    (and no gap for it).

    Returns
    -------
    dict
        ``{"train": slice, "val": slice, "test": slice}`` over the time axis.
    """
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise StganError(
            f"val_fraction={val_fraction} and test_fraction={test_fraction} must each be in [0, 1) "
            "and sum to less than 1"
        )
    n_gaps = (val_fraction > 0) + (test_fraction > 0)
    usable = n_time - n_gaps * window_length
    n_val = int(round(usable * val_fraction))
    n_test = int(round(usable * test_fraction))
    n_train = usable - n_val - n_test
    if (
        n_train < window_length
        or (val_fraction > 0 and n_val < window_length)
        or (test_fraction > 0 and n_test < window_length)
    ):
        raise StganError(
            f"{n_time} time steps are too few for windows of {window_length} steps in train/val/test "
            f"blocks of fractions {1 - val_fraction - test_fraction:.2f}/{val_fraction:.2f}/"
            f"{test_fraction:.2f} with gaps of one window; use a shorter window_length, "
            "smaller val/test fractions (0 disables a split) or a longer record"
        )
    train = slice(0, n_train)
    start = n_train + (window_length if n_val else 0)
    val = slice(start, start + n_val)
    start = val.stop + (window_length if n_test else 0)
    test = slice(start, start + n_test)
    return {"train": train, "val": val, "test": test}
