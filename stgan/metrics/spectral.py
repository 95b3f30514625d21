"""Spatial power spectra: the radially averaged power spectral density (RAPSD) and a distance.

Conventions (shared by every function here)
-------------------------------------------
* A field is the last two axes ``(H, W)`` of an array; everything in front is batch.
* The power of one field is ``|fftshift(fft2(x))|**2 / (H * W)``. With this normalisation
  Parseval's theorem reads ``sum(power) == sum(x**2)`` (the sum over all cells of the power
  grid equals the sum of squares of the field).
* Rings: a cell with centred integer coordinates ``(yc, xc)`` (the zero frequency at
  ``(H // 2, W // 2)`` after ``fftshift``, the same grid as pysteps'
  ``compute_centred_coord_array(H, W)``) belongs to ring ``round(sqrt(yc**2 + xc**2))``.
* Bins: with ``L = max(H, W)`` the spectrum has the rings ``0 .. L//2 - 1`` when ``L`` is even
  and ``0 .. L//2`` when ``L`` is odd; cells in farther rings (the corners) are ignored.
  Bin ``k`` has frequency ``np.fft.fftfreq(L)[k] = k / L`` in cycles per grid cell.

These definitions reproduce ``pysteps.utils.spectral.rapsd(x, fft_method=numpy.fft)``.

Physical wavenumbers (``wavenumbers="physical"``)
-------------------------------------------------
On a non-square grid the index rings above mislabel scales: a wave of 8 cells along the
short side ``H`` has index ``H / 8`` there, but is filed under the frequency ``(H / 8) / L``
with ``L = max(H, W)``, i.e. as a wave of ``8 L / H`` cells. With ``"physical"`` a coefficient
``(ky, kx)`` belongs to ring ``round(L * sqrt((ky / H)**2 + (kx / W)**2))``: its true
frequency in cycles per cell (square cells assumed) expressed in units of ``1 / L``, so the
bins and their frequencies ``k / L`` are unchanged and every wave lands at its own
wavelength. On a square grid both conventions are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import torch
import xarray as xr

from stgan.errors import StganError

Array = Any  # numpy.ndarray or torch.Tensor; kept loose so both pass type checkers


def _to_tensor(x: Array, name: str = "x") -> tuple[torch.Tensor, bool, torch.dtype]:
    """``x`` as a floating tensor, whether it came as numpy, and the dtype to hand back.

    Floating inputs keep their dtype; anything else (ints, bools) is computed in float64, as
    numpy would. Half precision is computed in float32 (CPU FFTs do not take it) and cast back.
    """
    was_numpy = not isinstance(x, torch.Tensor)
    if was_numpy:
        arr = np.asarray(x)
        if arr.dtype.kind not in "biuf" or arr.dtype == np.longdouble:
            raise StganError(f"{name} must hold real numbers, got dtype {arr.dtype}")
        # torch.from_numpy takes neither negative strides nor big-endian data (as NetCDF files
        # often hold); copy only in those cases.
        if not arr.dtype.isnative:
            arr = arr.astype(arr.dtype.newbyteorder("="))
        t = torch.from_numpy(np.ascontiguousarray(arr))
    else:
        t = x
    if t.is_complex():
        raise StganError(f"{name} must be real-valued, got a complex array ({t.dtype})")
    out_dtype = t.dtype if t.is_floating_point() else torch.float64
    work_dtype = torch.float32 if out_dtype in (torch.float16, torch.bfloat16) else out_dtype
    return t.to(work_dtype), was_numpy, out_dtype


def _like_input(t: torch.Tensor, was_numpy: bool, out_dtype: torch.dtype) -> Array:
    """Hand ``t`` back in the caller's kind (numpy or torch) and dtype."""
    t = t.to(out_dtype)
    return t.detach().cpu().numpy() if was_numpy else t


def _n_bins(h: int, w: int) -> int:
    side = max(h, w)
    return side // 2 + 1 if side % 2 else side // 2


# Up to this many entries (16 MiB in float32; fields up to about 200 x 200) a dense
# cells-by-bins matrix product is the fastest way to sum rings; beyond it the matrix grows as
# (H * W) * max(H, W) and index_add, linear in H * W, wins in time and memory.
_DENSE_MAX_ENTRIES = 2**22


WAVENUMBERS = ("index", "physical")


def ring_radius(h: int, w: int, wavenumbers: str) -> np.ndarray:
    """Ring of every cell of the fftshift-ed (h, w) grid (see the module docstring)."""
    yc = (np.arange(h) - h // 2)[:, None].astype(np.float64)
    xc = (np.arange(w) - w // 2)[None, :].astype(np.float64)
    if wavenumbers == "physical":
        side = max(h, w)
        yc, xc = yc * side / h, xc * side / w
    elif wavenumbers != "index":
        raise StganError(
            f"wavenumbers must be one of {', '.join(WAVENUMBERS)}; got {wavenumbers!r}"
        )
    return np.rint(np.sqrt(yc**2 + xc**2)).astype(np.int64)


@lru_cache(maxsize=32)
def _ring_operator(
    h: int, w: int, dtype: torch.dtype, device: torch.device, wavenumbers: str = "index"
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """How the squared ``rfft2`` coefficients of an (h, w) field add up to ring means.

    The inputs are laid out as ``view_as_real(rfft2(x))`` flattened: real and imaginary part of
    each coefficient in turn, so ``re**2 + im**2`` is a sum of two neighbouring entries.

    Returns ``(ring, weight, dense)``: per entry, its ring (``n_bins`` for corner cells beyond
    the last bin, which are dropped) and its weight, which holds the ``1 / (h * w)`` power
    normalisation, the ``1 / ring size`` of the mean and a factor 2 for coefficients that also
    stand for their missing mirror image (see below); ``dense`` is the same map as an
    (entries, n_bins) matrix when that is small, else None. Cached per shape, dtype, device.
    """
    n_bins = _n_bins(h, w)
    # Centred coordinates in fftshift order (index h//2 is frequency 0), as pysteps builds them.
    ring_shifted = ring_radius(h, w, wavenumbers)
    # Back to the unshifted order of fft2's output, so no fftshift of the data is needed.
    ring_full = np.fft.ifftshift(ring_shifted)
    counts = np.bincount(ring_full.ravel(), minlength=n_bins)[:n_bins]

    # A real field has |F(-k)| = |F(k)|, and the ring radius is symmetric too, so rfft2's half
    # spectrum (columns 0 .. w//2) carries everything: columns 1 <= kx < w/2 stand for
    # themselves and their mirror column w - kx; column 0 and (even w) column w/2 are their own
    # mirrors. This halves the FFT work compared with fft2.
    ring = ring_full[:, : w // 2 + 1].ravel()
    kx = np.arange(w // 2 + 1)
    mult = np.tile(np.where((kx > 0) & (2 * kx < w), 2.0, 1.0), h)

    kept = ring < n_bins
    weight = np.zeros(ring.size)
    weight[kept] = mult[kept] / (counts[ring[kept]] * h * w)
    ring = np.where(kept, ring, n_bins)
    # One entry for the real part and one for the imaginary part of each coefficient.
    ring, weight = np.repeat(ring, 2), np.repeat(weight, 2)

    dense = None
    if ring.size * n_bins <= _DENSE_MAX_ENTRIES:
        matrix = np.zeros((ring.size, n_bins + 1))
        matrix[np.arange(ring.size), ring] = weight
        dense = torch.as_tensor(matrix[:, :n_bins], dtype=dtype, device=device)
    return (
        torch.as_tensor(ring, device=device),
        torch.as_tensor(weight, dtype=dtype, device=device),
        dense,
    )


def _ring_means(squares: torch.Tensor, h: int, w: int, wavenumbers: str) -> torch.Tensor:
    """Ring means, shape (n, n_bins), from squared coefficients of shape (n, entries)."""
    ring, weight, dense = _ring_operator(h, w, squares.dtype, squares.device, wavenumbers)
    if dense is not None:
        return squares @ dense
    n_bins = _n_bins(h, w)
    sums = squares.new_zeros(squares.shape[0], n_bins + 1)  # last column collects the corners
    return sums.index_add(1, ring, squares * weight)[:, :n_bins]


def rapsd(
    x: Array,
    *,
    return_freq: bool = False,
    normalize: bool = False,
    wavenumbers: str = "index",
    dims: Sequence[str] | None = None,
) -> Array | tuple[Array, Array]:
    """Radially averaged power spectral density of every field in ``x``.

    Parameters
    ----------
    x : numpy.ndarray or torch.Tensor, shape (..., H, W)
        Real, finite fields; all leading axes are batch axes and are computed in one call.
    return_freq : bool, default False
        Also return the frequency of each bin, ``k / max(H, W)`` in cycles per grid cell.
    normalize : bool, default False
        Divide each spectrum by its sum (over the kept bins), so that it sums to one.
    wavenumbers : {"index", "physical"}, default "index"
        How rings are assigned on non-square grids: pysteps' index rings, or rings by each
        coefficient's true frequency (see the module docstring). Same result on square grids.
    dims : (str, str), optional
        For an ``xr.DataArray`` ``x``: its (y, x) dimensions (default: detected from CF
        attributes and names). Every other dimension is kept, with its coordinates; dask
        arrays stay lazy (see :func:`stgan.metrics.named.rapsd`).

    Returns
    -------
    spectrum : same kind as ``x``, shape (..., n_bins)
        Mean power on each ring (see the module docstring for the power normalisation, the
        ring assignment and the number of bins). Same floating dtype as ``x`` (float64 for
        integer input); torch input stays on its device and keeps its autograd graph.
    freq : same kind as ``x``, shape (n_bins,)
        Only when ``return_freq``.

    Notes
    -----
    Equals ``pysteps.utils.spectral.rapsd(field, fft_method=numpy.fft)`` frame by frame.
    float64 input is computed in float64. Other input is computed in float32 on the fields
    less their means (bin 0 from a float64 sum), which agrees with the float64 reference to
    ~1e-6 relative in every bin, including bins six decades below the peak.

    A DataArray gives a DataArray of dims (other dims..., ``wavenumber``), the coordinate
    ``wavenumber`` holding the bin frequencies (``freq``, also returned when asked).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from stgan.metrics import rapsd
    >>> da = xr.DataArray(np.random.default_rng(0).normal(size=(3, 2, 8, 8)),
    ...                   dims=("member", "time", "lat", "lon"), coords={"member": [1, 2, 3]})
    >>> spectrum = rapsd(da, dims=("lat", "lon"))
    >>> spectrum.dims, spectrum["wavenumber"].values[:3].tolist()
    (('member', 'time', 'wavenumber'), [0.0, 0.125, 0.25])
    """
    if isinstance(x, xr.DataArray):
        from stgan.metrics import named

        out = named.rapsd(x, dims=dims, normalize=normalize, wavenumbers=wavenumbers)
        return (out, out["wavenumber"]) if return_freq else out
    if dims is not None:
        raise StganError("rapsd: dimension names (dims=) need an xr.DataArray")
    t, was_numpy, out_dtype = _to_tensor(x)
    if t.ndim < 2 or 0 in t.shape[-2:]:
        raise StganError(f"rapsd needs fields shaped (..., H, W); got shape {tuple(t.shape)}")
    h, w = t.shape[-2:]
    batch = t.shape[:-2]

    fields = t.reshape(-1, h, w)
    if fields.dtype == torch.float64:
        coeffs = torch.fft.rfft2(fields)
        mean = None
    else:
        # float32 FFT (several times faster than float64) of the fields less their means: a
        # float32 FFT's rounding is relative to the whole field's power, so a large mean would
        # swamp the weak bins. Bin 0, the mean's alone, is then put back from a float64 sum.
        # This keeps float32 input within ~2e-6 of the float64 result even where a bin holds
        # 1e-6 of the peak (tests/test_metric_precision.py checks it).
        mean = fields.sum((-2, -1), dtype=torch.float64) / (h * w)  # (n,)
        coeffs = torch.fft.rfft2(fields - mean.to(fields.dtype)[:, None, None])
    squares = torch.view_as_real(coeffs).reshape(coeffs.shape[0], -1).square()
    spectrum = _ring_means(squares, h, w, wavenumbers)
    if mean is not None:
        # Ring 0 holds the zero frequency only: its mean power is |sum x|^2 / (h w) = h w mean^2.
        dc = (mean.square() * (h * w)).to(spectrum.dtype)
        spectrum = torch.cat([dc[:, None], spectrum[:, 1:]], dim=1)
    # A NaN or inf anywhere in a field spreads to all its coefficients, so checking the small
    # output is enough (and much cheaper than scanning the input).
    if not bool(torch.isfinite(spectrum).all()):
        raise StganError(
            "rapsd needs finite fields; x contains NaN or inf (fill or mask first), "
            "or values so large that their power overflows"
        )
    if normalize:
        spectrum = spectrum / spectrum.sum(dim=-1, keepdim=True)
    spectrum = _like_input(spectrum.reshape(*batch, -1), was_numpy, out_dtype)

    if not return_freq:
        return spectrum
    side = max(h, w)
    freq = torch.as_tensor(np.fft.fftfreq(side)[: _n_bins(h, w)], device=t.device)
    return spectrum, _like_input(freq, was_numpy, out_dtype)


def mean_rapsd(
    x: Array,
    *,
    wavenumbers: str = "index",
    dims: Sequence[str] | None = None,
    keep: str | Sequence[str] = (),
) -> tuple[Array, Array] | xr.DataArray:
    """Mean RAPSD over all fields of ``x`` (averaged in linear power, not in dB).

    Parameters
    ----------
    x : numpy.ndarray, torch.Tensor, shape (..., H, W), or xr.DataArray
        Real, finite fields; every leading axis is averaged over.
    wavenumbers : {"index", "physical"}
        See :func:`rapsd`.
    dims, keep : DataArray only
        The (y, x) dimensions (default: detected) and the dimensions kept rather than
        averaged over (default: none).

    Returns
    -------
    spectrum : same kind as ``x``, shape (n_bins,)
        The average of :func:`rapsd` over all fields.
    freq : same kind as ``x``, shape (n_bins,)
        Bin frequencies in cycles per grid cell.

    A DataArray gives one DataArray, dims (``keep``..., ``wavenumber``), the frequencies as its
    ``wavenumber`` coordinate; lazy for dask-backed input.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from stgan.metrics import mean_rapsd
    >>> da = xr.DataArray(np.random.default_rng(0).normal(size=(2, 4, 8, 8)),
    ...                   dims=("level", "time", "y", "x"), coords={"level": [850, 500]})
    >>> dict(mean_rapsd(da, keep="level").sizes)
    {'level': 2, 'wavenumber': 4}
    """
    if isinstance(x, xr.DataArray):
        from stgan.metrics import named

        return named.mean_rapsd(x, dims=dims, keep=keep, wavenumbers=wavenumbers)
    if dims is not None or keep:
        raise StganError("mean_rapsd: dimension names (dims=, keep=) need an xr.DataArray")
    spectra, freq = rapsd(x, return_freq=True, wavenumbers=wavenumbers)
    n_bins = spectra.shape[-1]
    return spectra.reshape(-1, n_bins).mean(0), freq


def fill_frames(x: np.ndarray) -> np.ndarray:
    """NaN cells → the mean of the frame's valid cells (spectra need complete fields)."""
    return np.where(np.isnan(x), np.nanmean(x, axis=(-2, -1), keepdims=True), x)


def _as_float64_numpy(x: Array) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().to(torch.float64).numpy()
    return np.asarray(x, dtype=np.float64)


def log_spectral_distance(
    p_real: Array, p_gen: Array, *, dim: str = "wavenumber"
) -> float | np.ndarray | xr.DataArray:
    """Root-mean-square difference of two power spectra in decibels.

    ``sqrt(mean_k (10 log10 P_real(k) - 10 log10 P_gen(k))**2)``; spectra that differ by a
    constant factor ``c`` are ``10 * |log10 c|`` dB apart (a factor 10 is exactly 10 dB).

    Parameters
    ----------
    p_real, p_gen : numpy.ndarray or torch.Tensor, shape (..., n_bins)
        Already averaged spectra (e.g. from :func:`mean_rapsd`), strictly positive, same shape.

    Returns
    -------
    float or numpy.ndarray
        A float for 1-D spectra; otherwise a float64 array of shape ``(...)``, one distance per
        leading index. This is an evaluation score: torch inputs are detached. Two
        DataArrays give a DataArray over their other (shared, exactly aligned) dimensions,
        the bins read along ``dim``.

    Raises
    ------
    StganError
        If the shapes differ or a spectrum has a non-positive or NaN bin (the log is undefined;
        e.g. a constant field has no power outside bin 0).
    """
    if isinstance(p_real, xr.DataArray) or isinstance(p_gen, xr.DataArray):
        from stgan.metrics import named

        return named.log_spectral_distance(p_real, p_gen, dim=dim)
    real, gen = _as_float64_numpy(p_real), _as_float64_numpy(p_gen)
    if real.shape != gen.shape or real.ndim == 0:
        raise StganError(
            f"log_spectral_distance needs two spectra of the same shape (..., n_bins); "
            f"got {real.shape} and {gen.shape}"
        )
    for name, p in (("p_real", real), ("p_gen", gen)):
        if not np.all(p > 0):  # also catches NaN
            raise StganError(f"{name} must be strictly positive in every bin to take its log")
    db_diff = 10.0 * (np.log10(real) - np.log10(gen))
    distance = np.sqrt(np.mean(db_diff**2, axis=-1))
    return float(distance) if distance.ndim == 0 else distance


def spectral_slope(
    spectrum: Array, freq: Array, *, k_min: int = 2, k_max: int | None = None
) -> float:
    """Least-squares slope of ``log10 P`` against ``log10 k`` over bins ``k_min … k_max``.

    Bins are ring indices of :func:`rapsd` (k_max defaults to the last bin − 1, leaving out
    the corner-truncated last ring); a field with power ∝ k^-s has slope −s.
    """
    p = _as_float64_numpy(spectrum).ravel()
    f = _as_float64_numpy(freq).ravel()
    k_max = p.size - 2 if k_max is None else k_max
    if not 1 <= k_min < k_max < p.size:
        raise StganError(
            f"spectral slope needs 1 <= k_min < k_max < {p.size}, got {k_min}, {k_max}"
        )
    sel = slice(k_min, k_max + 1)
    return float(np.polyfit(np.log10(f[sel]), np.log10(p[sel]), 1)[0])
