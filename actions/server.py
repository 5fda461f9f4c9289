"""The action server: rasa_sdk's endpoint, with what the actions need installed in every server process.

Sanic builds the app in the primary process and again in each worker process it spawns, so the
installation (``start``) lives in the app factory, which runs in every one of them: marketers'
published versions of the catalogue override the shipped files, from the next message on, and a
mistake in the agents' hours stops start-up with the field and the reason, not the first handoff.
"""

from __future__ import annotations

import argparse
import logging
import os
from functools import partial
from typing import Any

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app_for_serve, create_ssl_config
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic
from sanic.worker.loader import AppLoader

from actions.storage import UNIT_OF_WORK
from parcels import log_masking
from parcels.agent_hours import current_agent_hours
from templates.renderer import set_source_provider
from templates.versions import source_provider


def start() -> None:
    """What every action server process installs before it serves."""
    log_masking.install()
    set_source_provider(source_provider(UNIT_OF_WORK))
    current_agent_hours()


def create_app(executor: ActionExecutor, **options: Any) -> Sanic:
    """rasa_sdk's app for one server process, built after ``start``."""
    start()
    return create_app_for_serve(executor, **options)


def serve(args: argparse.Namespace) -> None:
    """``python -m rasa_sdk``'s server (its logging, its options), with ``create_app`` as the app factory."""
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel, args.logging_config_file
    )
    utils.update_sanic_log_level()
    executor = ActionExecutor()
    executor.register_package(args.actions_module or args.actions)
    loader = AppLoader(
        factory=partial(
            create_app, executor, cors_origins=args.cors, auto_reload=args.auto_reload, endpoints=args.endpoints
        )
    )
    app = loader.load()
    app.prepare(
        host=os.environ.get("SANIC_HOST", "0.0.0.0"),
        port=args.port,
        ssl=create_ssl_config(args.ssl_certificate, args.ssl_keyfile, args.ssl_password),
        workers=utils.number_of_sanic_workers(),
    )
    Sanic.serve(primary=app, app_loader=loader)
