"""What a use case can refuse, by kind, so that every entry point answers it the same way.

The web's error middleware (``web.errors``) turns ``NotFound`` into 404, ``Conflict`` into 409 and
``Refused`` into 422, each with the error's own sentence (staff-facing: the use cases word them for the
people who call them, never for shoppers).
"""


class NotFound(LookupError):
    """What the request names does not exist."""


class Conflict(Exception):
    """The request does not fit the current state (another agent took it first, a claim already decided)."""


class Refused(ValueError):
    """The request is well formed, but what it asks for is not allowed (a template that fails validation)."""
