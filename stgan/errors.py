"""The exception types for user errors.

Anything the user can fix (a bad file, an unknown option, data that cannot be used) raises
:class:`StganError` with a message that names the problem and the fix. The CLI prints it as
one line and exits with status 2; everything else is a bug and keeps its traceback.

A few subclasses say which kind of input was wrong, so that a notebook can catch just that
kind; their messages are the ones the CLI prints after ``stgan: error:``.
"""


class StganError(ValueError):
    """A problem with the user's input, configuration or data."""


class CheckpointError(StganError):
    """A checkpoint that is missing, unreadable, unsafe to load or not written by stgan."""


class DataError(StganError):
    """Data that stgan cannot use as given: no such file, no time axis, an unknown variable..."""


class UnknownNameError(StganError):
    """A registry key (generator, loss, metric, ...) that is not registered."""
