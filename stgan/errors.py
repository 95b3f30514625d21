"""The one exception type for user errors.

Anything the user can fix (a bad file, an unknown option, data that cannot be used) raises
:class:`StganError` with a message that names the problem and the fix. The CLI prints it as
one line and exits with status 2; everything else is a bug and keeps its traceback.
"""


class StganError(ValueError):
    """A problem with the user's input, configuration or data."""
