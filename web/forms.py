"""Reading a form from a stranger: a body that is not the form it claims to be (a multipart without its
boundary, bytes that are not UTF-8) is refused with 400, never parsed into a 500."""

from __future__ import annotations

from aiohttp import web
from multidict import MultiDictProxy

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_form(request: web.Request, types: tuple[str, ...] = FORM_TYPES) -> MultiDictProxy[str | web.FileField]:
    """The request's form fields; raises HTTPUnsupportedMediaType (415) or HTTPBadRequest (400)."""
    if request.content_type not in types:
        raise web.HTTPUnsupportedMediaType(text=f"send the form as {' or '.join(types)}")
    try:
        return await request.post()
    except (ValueError, UnicodeDecodeError, AssertionError) as error:
        raise web.HTTPBadRequest(text=f"the form cannot be read: {error}") from None
