"""``python -m notifications run|once|dry-run``: the notifier process.

It finds broken, at-risk and late promises, writes each to the outbox once, and sends what
is due. With ``TWILIO_ACCOUNT_SID`` and ``TWILIO_AUTH_TOKEN`` set it sends through Twilio;
without them, messages go to a local sink (logged, and marked sent with a ``SINK...`` id).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from notifications.conversation import RasaConversations
from notifications.detect import DetectSettings, Status, detect
from notifications.dispatch import DispatchSettings, dispatch_due, outgoing_for
from notifications.quiet_hours import QuietHours
from notifications.senders import Sender, SinkSender, TwilioSender
from parcels.storage.db import session_scope
from parcels.storage.migrate import upgrade
from parcels.storage.models import Notification
from templates.renderer import set_source_provider
from templates.versions import published_source

log = logging.getLogger("notifications")


def sender_from_environment() -> Sender:
    sid, token = os.environ.get("TWILIO_ACCOUNT_SID"), os.environ.get("TWILIO_AUTH_TOKEN")
    if not (sid and token):
        log.warning("no TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN: messages go to the local sink, not to customers")
        return SinkSender()
    return TwilioSender(sid, token, os.environ.get("TWILIO_WHATSAPP_FROM"), os.environ.get("TWILIO_SMS_FROM"))


def settings_from_environment() -> tuple[DetectSettings, DispatchSettings]:
    rate = os.environ.get("NOTIFIER_RATE_PER_SECOND")
    return (
        DetectSettings(quiet_hours=QuietHours.parse(os.environ.get("QUIET_HOURS", "21:00-09:00"))),
        DispatchSettings(
            rate_per_second=float(rate) if rate else None,
            status_callback=os.environ.get("TWILIO_STATUS_CALLBACK_URL") or None,
            conversations=RasaConversations(
                os.environ.get("RASA_URL", "http://localhost:5005"), os.environ.get("RASA_TOKEN") or None
            ),
        ),
    )


def once(sender: Sender, detect_settings: DetectSettings, dispatch_settings: DispatchSettings) -> None:
    found = detect(datetime.now(UTC), settings=detect_settings)
    sent = dispatch_due(sender, lambda: datetime.now(UTC), settings=dispatch_settings)
    log.info(
        "detected %s, sent %s, retrying %s, failed %s, recovered %s",
        {str(kind): count for kind, count in (found.enqueued or {}).items()},
        sent.sent,
        sent.retried,
        sent.failed,
        sent.recovered,
    )


def dry_run(detect_settings: DetectSettings) -> None:
    now = datetime.now(UTC)
    report = detect(now, settings=detect_settings, dry_run=True)
    print(f"would enqueue {report.total} notification(s) now ({report.enqueued or {}}):")
    for row in report.planned:
        when = row["not_before"].astimezone(ZoneInfo("Europe/Madrid")).strftime("%Y-%m-%d %H:%M")
        print(
            f"  {row['kind']:<16} {row['variables']['number']:<18} to {row['recipient'] or '-':<14} {row['status']}"
            f" not before {when}"
        )
    sink = SinkSender()
    with session_scope() as session:
        due = list(session.scalars(select(Notification).where(Notification.status == str(Status.PENDING))))
        print(f"{len(due)} notification(s) waiting in the outbox:")
        for notification in due:
            message = outgoing_for(notification, sink)
            print(f"  {notification.kind:<16} to {message.to}: {message.body or message.content_variables}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m notifications", description=__doc__)
    parser.add_argument("command", choices=["run", "once", "dry-run"])
    parser.add_argument("--every", type=float, default=60.0, help="seconds between passes (run)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    upgrade()
    set_source_provider(published_source)
    detect_settings, dispatch_settings = settings_from_environment()
    if args.command == "dry-run":
        dry_run(detect_settings)
        return 0
    sender = sender_from_environment()
    if args.command == "once":
        once(sender, detect_settings, dispatch_settings)
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.is_set():
        try:
            once(sender, detect_settings, dispatch_settings)
        except Exception:  # one bad pass (a database that is down...) must not stop the notifier
            log.exception("notifier pass failed; trying again in %.0f s", args.every)
        stop.wait(args.every)
    return 0


if __name__ == "__main__":
    sys.exit(main())
