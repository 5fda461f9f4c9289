"""Templates compiled from sources (previews, published versions): a bounded LRU keyed by the source's hash."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from jinja2 import Template

from templates.sandbox import environment

COMPILED_CACHE_SIZE = 256  # templates compiled from sources (render_source), least recently used out

_compiled: OrderedDict[str, Template] = OrderedDict()
_compiled_lock = threading.Lock()


def compiled(source: str) -> Template:
    """A template compiled from a source, cached by the source's hash (a bounded LRU)."""
    key = hashlib.sha256(source.encode("utf-8")).hexdigest()
    with _compiled_lock:
        template = _compiled.get(key)
        if template is not None:
            _compiled.move_to_end(key)
            return template
    template = environment().from_string(source)
    with _compiled_lock:
        _compiled[key] = template
        _compiled.move_to_end(key)
        while len(_compiled) > COMPILED_CACHE_SIZE:
            _compiled.popitem(last=False)
    return template


def clear_compiled() -> None:
    with _compiled_lock:
        _compiled.clear()
