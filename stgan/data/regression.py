"""Per-gridpoint least squares streamed over time: linear trends and annual harmonics.

Each grid point has its own fit ``y_t ≈ Σ_p β_p X_tp`` with a design ``X`` shared by all
points (functions of time only). The normal equations are summed chunk by chunk in float64,
skipping missing values point by point, so memory is bounded by the grid, not the record.
"""

from __future__ import annotations

import numpy as np

# Annual harmonics used for a smooth day-of-year climatology: periods of 1 year, 6 and 4
# months; daily data have only a handful of samples per calendar day, and three harmonics
# follow a seasonal cycle closely without fitting that noise.
N_HARMONICS = 3


def harmonics(year_fraction: np.ndarray, n: int = N_HARMONICS) -> np.ndarray:
    """(T, 2n) design columns ``cos(2πk·f), sin(2πk·f)`` for k = 1…n, f the year fraction."""
    angle = 2 * np.pi * np.asarray(year_fraction, np.float64)[:, None] * np.arange(1, n + 1)
    return np.concatenate([np.cos(angle), np.sin(angle)], axis=1)


def seasonal_design(year_fraction: np.ndarray, n: int = N_HARMONICS) -> np.ndarray:
    """(T, 1 + 2n) columns ``1`` and :func:`harmonics`: a smooth day-of-year climatology."""
    return np.concatenate([np.ones((len(year_fraction), 1)), harmonics(year_fraction, n)], axis=1)


def trend_design(
    t: np.ndarray, centre: float, half: float, year_fraction: np.ndarray | None = None
) -> np.ndarray:
    """(T, P) columns ``1``, ``(t − centre) / half`` and, given ``year_fraction``, annual harmonics.

    Scaling t to about [−1, 1] keeps the normal equations well conditioned whatever the
    time units; β₀ + β₁·(t − centre)/half is the line a + b·t with b = β₁/half.
    """
    cols = [np.ones((len(t), 1)), ((np.asarray(t, np.float64) - centre) / half)[:, None]]
    if year_fraction is not None:
        cols.append(harmonics(year_fraction))
    return np.concatenate(cols, axis=1)


class GridLeastSquares:
    """Normal equations of one least-squares fit per grid point, summed over time chunks.

    Parameters
    ----------
    n_terms : int
        Columns P of the design.
    shape : tuple[int, int]
        The grid (H, W).
    """

    def __init__(self, n_terms: int, shape: tuple[int, int]) -> None:
        self.shape = shape
        cells = shape[0] * shape[1]
        self.gram = np.zeros((cells, n_terms, n_terms))  # Σ_t ok·X_t X_tᵀ per cell
        self.moment = np.zeros((cells, n_terms))  # Σ_t ok·X_t y_t per cell

    def add(self, design: np.ndarray, y: np.ndarray) -> None:
        """Add steps: ``design`` (t, P), ``y`` (t, H, W) with NaN where missing."""
        t, p = design.shape
        y = y.reshape(t, -1)
        ok = np.isfinite(y)
        outer = (design[:, :, None] * design[:, None, :]).reshape(t, p * p)
        self.gram += (ok.T.astype(np.float64) @ outer).reshape(-1, p, p)
        self.moment += np.where(ok, y, 0).astype(np.float64).T @ design

    def solve(self) -> np.ndarray:
        """(P, H, W) coefficients; the minimum-norm solution where data do not fix them all.

        A grid point with no data gets zeros (the pseudo-inverse of a zero matrix).
        """
        beta = np.einsum(
            "npq,nq->np", np.linalg.pinv(self.gram, rcond=1e-10, hermitian=True), self.moment
        )
        return beta.T.reshape(-1, *self.shape)
