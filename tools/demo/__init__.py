"""Deterministic demo data: a million realistic Spanish shipments (``generate``), and a hand-picked showcase.

``places`` and ``names`` hold the lists the rows are drawn from, ``paths`` the outcomes and their event
paths, ``generator`` the rows of one block, ``writers`` the bulk writers for SQLite and PostgreSQL,
``pool`` the worker processes, ``load`` the load itself and ``showcases`` the fixed shipments.
"""

from tools.demo.errors import DemoAlreadyLoaded, DemoError
from tools.demo.generator import BLOCK
from tools.demo.load import MAX_COUNT, generate
from tools.demo.showcases import SHOWCASE_NUMBERS, Showcase, showcase

__all__ = [
    "BLOCK",
    "MAX_COUNT",
    "SHOWCASE_NUMBERS",
    "DemoAlreadyLoaded",
    "DemoError",
    "Showcase",
    "generate",
    "showcase",
]
