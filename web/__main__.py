"""``python -m web --port 8080``: run the web process."""

from __future__ import annotations

import argparse
import logging

from aiohttp import web

from parcels import log_masking
from web.app import create_app
from web.chat import QuietHealthChecks
from web.inbox import HideInboxKeys


def main() -> None:
    parser = argparse.ArgumentParser(prog="web", description=__doc__)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log_masking.install()
    logging.getLogger("aiohttp.access").addFilter(HideInboxKeys())
    logging.getLogger("aiohttp.access").addFilter(QuietHealthChecks())
    web.run_app(create_app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
