"""Reading a form from a stranger: a body that is not the form it claims to be (a multipart without its
boundary, bytes that are not UTF-8, a field that is neither text nor a file) is refused with 400, never parsed
into a 500."""

from __future__ import annotations

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_form(request: web.Request, types: tuple[str, ...] = FORM_TYPES) -> MultiDictProxy[str | web.FileField]:
    """The request's form fields; raises HTTPUnsupportedMediaType (415) or HTTPBadRequest (400)."""
    if request.content_type not in types:
        raise web.HTTPUnsupportedMediaType(text=f"send the form as {' or '.join(types)}")
    try:
        posted = await request.post()
    except (ValueError, UnicodeDecodeError, AssertionError) as error:
        raise web.HTTPBadRequest(text=f"the form cannot be read: {error}") from None
    fields: MultiDict[str | web.FileField] = MultiDict()
    for name, value in posted.items():
        # aiohttp keeps the bytes of a multipart field sent with a Content-Type that is not text/*
        if isinstance(value, bytes | bytearray):
            raise web.HTTPBadRequest(
                text=f"the form field {name[:64]!r} is not text: send it as text/plain or as a file"
            )
        fields.add(name, value)
    return MultiDictProxy(fields)
