"""Why a demo load cannot be written."""


class DemoError(Exception):
    """Demo data that cannot be written as asked (number range taken, count too large...)."""


class DemoAlreadyLoaded(DemoError):
    """The seed's number range is already in the database."""
