"""The CF checker as a test helper: IOOS compliance-checker's ``cf:1.8`` suite, offline.

compliance-checker ships the CF standard-name table and parses units with cf-units, so it runs
without a network. (cfchecker, the other CF checker, needs the UDUNITS-2 C library through
cfunits, which is not installed here.) compliance-checker ranks each failed check HIGH (an
error: the file breaks a CF "must"), MEDIUM or LOW (advice); :func:`cf_errors` returns the
errors only.
"""

from __future__ import annotations

import os

from compliance_checker.base import BaseCheck
from compliance_checker.runner import CheckSuite

CF_SUITE = "cf:1.8"
_suite: CheckSuite | None = None


def _checks() -> CheckSuite:
    global _suite
    if _suite is None:  # loading the checkers and the standard-name table takes a second
        _suite = CheckSuite()
        _suite.load_all_available_checkers()
    return _suite


def cf_errors(path: str | os.PathLike) -> list[str]:
    """The CF-1.8 errors of a NetCDF file, one message each; an empty list for a compliant file.

    Parameters
    ----------
    path : str or path-like
        A NetCDF file.

    Returns
    -------
    list[str]
        ``"<check name>: <message>"`` for every failed check of HIGH priority, and
        ``"<check>: checker crashed: <error>"`` for every check the checker itself could not run.
    """
    suite = _checks()
    ds = suite.load_dataset(os.fspath(path))
    try:
        results, crashed = suite.run_all(ds, [CF_SUITE], skip_checks=[])[CF_SUITE]
    finally:
        ds.close()
    errors = []
    for result in results:
        value = result.value
        failed = value is False or (isinstance(value, tuple) and value[0] < value[1])
        if result.weight == BaseCheck.HIGH and failed:
            errors += [f"{result.name}: {msg}" for msg in result.msgs] or [f"{result.name}: failed"]
    for check, (err, _traceback) in crashed.items():
        errors.append(f"{check}: checker crashed: {err}")
    return errors
