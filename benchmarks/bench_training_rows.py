"""``bench_training.py``'s figures as the rows ``benchmarks/all.py`` gathers into one table.

A row is ``{"what", "measured", "reference", "unit", "ratio"}``: ``ratio`` is measured ÷
reference, so above 1 means the measured side is the faster one (or, for MFU, the fraction
of the matmul peak).
"""

from __future__ import annotations

import statistics


def json_rows(
    runs: list[tuple[float, float]],
    bf16: tuple[float, float] | None,
    mfu_rows: list[tuple[str, int, float]],
    peak: float,
    default: str,
) -> list[dict]:
    """The ratios of (a) and (b) as ``benchmarks/all.py`` gathers them.

    Parameters
    ----------
    runs : list of (float, float)
        Iterations/s of ``stgan fit`` (fp32) and of the plain loop beside it, per run of (a).
    bf16 : (float, float)
        The same for the ``bf16-mixed`` run of (a); None where it did not run.
    mfu_rows : list of (str, int, float)
        (b)'s rows: ``"G × D | variant"``, FLOPs per iteration, iterations/s.
    peak : float
        The fp32 matmul peak in FLOP/s.
    default : str
        The default pair's label: its variants are compared with its plain fp32 loop.

    Returns
    -------
    list of dict
        The rows, each with ``what``, ``measured``, ``reference``, ``unit`` and ``ratio``.
    """
    rows = [
        {
            "what": f"stgan fit ÷ plain loop, fp32, run {r}",
            "measured": 16 * lt,
            "reference": 16 * pl,
            "unit": "samples/s",
            "ratio": lt / pl,
        }
        for r, (lt, pl) in enumerate(runs, start=1)
    ]
    fp32 = statistics.median(lt / pl for lt, pl in runs)
    if bf16:
        rows.append(
            {
                "what": "stgan fit bf16-mixed ÷ fp32 (each ÷ the plain fp32 loop beside it)",
                "measured": bf16[0] / bf16[1],
                "reference": fp32,
                "unit": "× plain loop",
                "ratio": bf16[0] / bf16[1] / fp32,
            }
        )
    # The default pair's variants against its fp32 plain loop, stepped in the same rounds.
    fp32_rate = next(rate for name, _, rate in mfu_rows if name == f"{default} | fp32")
    for name, _, rate in mfu_rows:
        if name.startswith(f"{default} | ") and "stgan fit" not in name:
            variant = name.split(" | ")[1]
            if variant != "fp32":
                rows.append(
                    {
                        "what": f"plain loop, default pair: {variant} ÷ fp32",
                        "measured": rate,
                        "reference": fp32_rate,
                        "unit": "iterations/s",
                        "ratio": rate / fp32_rate,
                    }
                )
    rows += [
        {
            "what": f"MFU {name}",
            "measured": f * rate / 1e9,
            "reference": peak / 1e9,
            "unit": "GFLOP/s",
            "ratio": f * rate / peak,
        }
        for name, f, rate in mfu_rows
    ]
    return rows
