"""The one error type for a user's mistake."""


class ConfigError(ValueError):
    """A user's configuration mistake: one line naming the field, the value and what is allowed.

    ``main.py`` prints it alone on stderr and exits with status 2, before anything is written.
    """
