"""The one error type whose message is shown to the user as it is."""


class UserError(Exception):
    """A problem with what the user asked for, phrased as one sentence telling them what to do instead."""
