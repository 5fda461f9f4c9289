"""``python -m notifications run|once|dry-run|purge``: the notifier process.

It finds broken, at-risk and late promises, writes each to the outbox once, and sends what
is due. With ``TWILIO_ACCOUNT_SID`` and ``TWILIO_AUTH_TOKEN`` set it sends through Twilio;
without them, messages go to a local sink (logged, and marked sent with a ``SINK...`` id).
Once a day (UTC), ``run`` also purges the personal data past its time (``config/retention.yml``,
``parcels.privacy.daily_purge``); ``purge`` does the day's purge now, if no process has yet.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from notifications.conversation import RasaConversations
from notifications.detect import Detector, DetectSettings, detect
from notifications.dispatch import DispatchSettings, dispatch_due, outgoing_for
from notifications.health import Health, start_health_server
from notifications.outbox import Channel, Status, Unrenderable, render_row
from notifications.quiet_hours import QuietHours
from notifications.senders import Permanent, Sender, SinkSender, TwilioSender
from parcels import log_masking
from parcels.privacy import daily_purge
from parcels.retention import current_retention
from parcels.storage.conversation_archive import SqlConversationArchive
from parcels.storage.migrate import upgrade
from parcels.storage.unit_of_work import SqlUnitOfWork, UnitOfWork
from templates.renderer import set_source_provider
from templates.versions import source_provider

log = logging.getLogger("notifications")
DRY_RUN_SHOWN = 200  # the waiting notifications a dry run prints, latest first


def sender_from_environment() -> Sender:
    sid, token = os.environ.get("TWILIO_ACCOUNT_SID"), os.environ.get("TWILIO_AUTH_TOKEN")
    if not (sid and token):
        log.warning("no TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN: messages go to the local sink, not to customers")
        return SinkSender()
    sender = TwilioSender(sid, token, os.environ.get("TWILIO_WHATSAPP_FROM"), os.environ.get("TWILIO_SMS_FROM"))
    api_url = os.environ.get("TWILIO_API_URL")
    if api_url:  # a Twilio-compatible API elsewhere (a proxy, or the test double on loopback)
        sender.client.api.base_url = api_url.rstrip("/")
    return sender


def settings_from_environment() -> tuple[DetectSettings, DispatchSettings]:
    rate = os.environ.get("NOTIFIER_RATE_PER_SECOND")
    stale_after = float(os.environ.get("NOTIFIER_STALE_AFTER_SECONDS", "300"))
    return (
        DetectSettings(quiet_hours=QuietHours.parse(os.environ.get("QUIET_HOURS", "21:00-09:00"))),
        DispatchSettings(
            rate_per_second=float(rate) if rate else None,
            stale_after=timedelta(seconds=stale_after),
            status_callback=os.environ.get("TWILIO_STATUS_CALLBACK_URL") or None,
            conversations=RasaConversations(
                os.environ.get("RASA_URL", "http://localhost:5005"), os.environ.get("RASA_TOKEN") or None
            ),
        ),
    )


async def once(
    uow: UnitOfWork,
    sender: Sender,
    detector: Detector,
    dispatch_settings: DispatchSettings,
    stopping: asyncio.Event | None = None,
) -> None:
    found = await asyncio.to_thread(detector.run, datetime.now(UTC))
    if stopping is not None and stopping.is_set():
        return
    sent = await dispatch_due(uow, sender, lambda: datetime.now(UTC), settings=dispatch_settings, stopping=stopping)
    log.info(
        "detected %s, sent %s, retrying %s, failed %s, recovered %s",
        {str(kind): count for kind, count in found.enqueued.items()},
        sent.sent,
        sent.retried,
        sent.failed,
        sent.recovered,
    )


async def purge_once_a_day(uow: UnitOfWork) -> None:
    """The day's purge, if no notifier has started it yet; a failure is logged and tried again tomorrow."""
    try:
        done = await asyncio.to_thread(
            daily_purge, uow, SqlConversationArchive(), current_retention(), datetime.now(UTC)
        )
    except Exception:
        log.exception("the day's purge of data past its time failed; the next day's takes it up")
        return
    if done is not None:
        log.info("purged what was past its time: %s", done or "nothing")


def dry_run(uow: UnitOfWork, detect_settings: DetectSettings) -> None:
    now = datetime.now(UTC)
    report = detect(uow, now, settings=detect_settings, dry_run=True)
    kinds = ", ".join(f"{kind} {count}" for kind, count in report.enqueued.items()) or "nothing new"
    print(f"would enqueue {report.total} notification(s) now ({kinds}):")
    for row in report.planned:
        when = row["not_before"].astimezone(ZoneInfo("Europe/Madrid")).strftime("%Y-%m-%d %H:%M")
        print(
            f"  {row['kind']:<16} {row['variables']['number']:<18} to {row['recipient'] or '-':<14} {row['status']}"
            f" not before {when}"
        )
    sink = SinkSender()
    with uow.begin() as repos:
        waiting = repos.outbox.counts().get(Status.PENDING, 0)
        due = [message for message, _ in repos.outbox.recent(Status.PENDING, DRY_RUN_SHOWN)]
    shown = f", the {len(due)} latest" if len(due) < waiting else ""
    print(f"{waiting} notification(s) waiting in the outbox{shown}:")
    for notification in due:
        try:
            if notification.channel == Channel.WEB:
                text = render_row(notification).text
                print(f"  {notification.kind:<16} to the web inbox of {notification.recipient}: {text}")
                continue
            message, _ = outgoing_for(notification, sink)
        except (Unrenderable, Permanent) as error:
            print(f"  {notification.kind:<16} to {notification.recipient}: cannot be sent ({error})")
            continue
        print(f"  {notification.kind:<16} to {message.to}: {message.body or message.content_variables}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m notifications", description=__doc__)
    parser.add_argument("command", choices=["run", "once", "dry-run", "purge"])
    parser.add_argument("--every", type=float, default=60.0, help="seconds between passes (run)")
    parser.add_argument(
        "--health-port",
        type=int,
        default=int(os.environ.get("NOTIFIER_HEALTH_PORT") or 0) or None,
        help="serve GET /health on this port (run); NOTIFIER_HEALTH_PORT",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log_masking.install()
    upgrade()
    current_retention()  # a mistake in config/retention.yml stops the notifier now, not at the day's purge
    uow = SqlUnitOfWork()
    set_source_provider(source_provider(uow))
    detect_settings, dispatch_settings = settings_from_environment()
    if args.command == "dry-run":
        dry_run(uow, detect_settings)
        return 0
    if args.command == "purge":
        done = daily_purge(uow, SqlConversationArchive(), current_retention(), datetime.now(UTC))
        print("today's purge has run already" if done is None else f"purged: {done or 'nothing was past its time'}")
        return 0
    asyncio.run(serve(uow, args.command == "run", args.every, detect_settings, dispatch_settings, args.health_port))
    return 0


async def serve(
    uow: UnitOfWork,
    forever: bool,
    every: float,
    detect_settings: DetectSettings,
    dispatch_settings: DispatchSettings,
    health_port: int | None = None,
) -> None:
    sender = sender_from_environment()  # inside the loop: the async Twilio client's session belongs to it
    detector = Detector(uow, detect_settings)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    health = Health(every)
    health_server = await start_health_server(health, health_port) if forever else None
    try:
        while True:
            try:
                await once(uow, sender, detector, dispatch_settings, stop)
                health.passed()
            except Exception as error:  # one bad pass (a database that is down...) must not stop the notifier
                if not forever:
                    raise
                health.failed(error)
                log.exception("notifier pass failed; trying again in %.0f s", every)
            if forever and not stop.is_set():
                await purge_once_a_day(uow)
            if not forever or stop.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            if stop.is_set():
                return
    finally:
        if health_server is not None:
            await health_server.cleanup()
        await sender.close()
        if dispatch_settings.conversations is not None:
            await dispatch_settings.conversations.close()


if __name__ == "__main__":
    sys.exit(main())
