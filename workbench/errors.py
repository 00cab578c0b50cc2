"""The one exception type the app and the command line show to people."""


class UserError(Exception):
    """A problem the user can fix.

    ``str(error)`` is one readable sentence: what is wrong, and how to fix it.
    """
