"""``python -m parcels privacy find|export|erase|log``: a shopper's data on request, for operators.

Each command names one key (``--phone``, ``--email``, ``--tracking-number``, ``--order`` or ``--conversation``)
and the shopper's request it answers (``--ground``, such as "email of 1 December 2026"); who asks is ``--by``
(the operating system's user by default). Every request lands in the audit log (``privacy log``).
``erase`` lists what will go and asks to type ERASE, or goes ahead with ``--yes``; without a terminal and
without ``--yes`` it refuses.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from parcels.errors import Refused
from parcels.language import SUPPORTED
from parcels.privacy_records import KeyKind, SubjectKey, mask

KEY_OPTIONS = {
    KeyKind.PHONE: "--phone",
    KeyKind.EMAIL: "--email",
    KeyKind.TRACKING_NUMBER: "--tracking-number",
    KeyKind.ORDER: "--order",
    KeyKind.CONVERSATION: "--conversation",
}


class PrivacyCliError(Exception):
    """Reported on one line by ``tools.cli`` (exit code 2)."""


def add_commands(commands: Any) -> None:
    privacy = commands.add_parser("privacy", help="find, export or erase one shopper's data; the audit log")
    actions = privacy.add_subparsers(dest="privacy_command", required=True, metavar="privacy-command")
    for name, help_, func in (
        ("find", "list everything held about one shopper", cmd_find),
        ("export", "write everything held about one shopper to a JSON file", cmd_export),
        ("erase", "erase one shopper's data from both databases", cmd_erase),
    ):
        action = actions.add_parser(name, help=help_)
        keys = action.add_mutually_exclusive_group(required=True)
        for kind, option in KEY_OPTIONS.items():
            keys.add_argument(option, dest=f"key_{kind.value}", metavar=kind.value.upper().replace("_", "-"))
        action.add_argument("--ground", required=True, help="the shopper's request this answers")
        action.add_argument("--by", default=getpass.getuser(), help="who asks (default: this user)")
        if name == "export":
            action.add_argument("--output", required=True, metavar="PATH", help="the JSON file to write")
            action.add_argument(
                "--language", choices=SUPPORTED, help="of the readable page beside it (default: the shopper's)"
            )
        if name == "erase":
            action.add_argument("--yes", action="store_true", help="erase without asking")
        action.set_defaults(func=func)
    log = actions.add_parser("log", help="the audit log of requests, newest first")
    log.add_argument("--limit", type=_limit, default=50, help="how many, 1 to 1000 (default 50)")
    log.set_defaults(func=cmd_log)


def _limit(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a number from 1 to 1000")
    return int(text)


def _key(args: argparse.Namespace) -> SubjectKey:
    for kind in KeyKind:
        given = getattr(args, f"key_{kind.value}", None)
        if given is not None:
            try:
                return SubjectKey.parse(kind, given)
            except Refused as error:
                raise PrivacyCliError(str(error)) from None
    raise PrivacyCliError(f"name one key: {', '.join(KEY_OPTIONS.values())}")


def _stores() -> tuple[Any, Any]:
    from parcels.storage.conversation_archive import SqlConversationArchive
    from parcels.storage.migrate import upgrade
    from parcels.storage.unit_of_work import SqlUnitOfWork

    upgrade()
    return SqlUnitOfWork(), SqlConversationArchive()


def _print_counts(counts: dict[str, int]) -> None:
    if not counts:
        print("  nothing")
    for kind, n in sorted(counts.items()):
        print(f"  {kind.replace('_', ' ')}: {n}")


def _run(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except Refused as error:
        raise PrivacyCliError(str(error)) from None


def cmd_find(args: argparse.Namespace) -> int:
    from parcels import privacy

    key = _key(args)
    uow, archive = _stores()
    answer = _run(privacy.find, uow, archive, key, args.by, args.ground, datetime.now(UTC))
    print(f"{answer.reference}: held about {key.kind} {key.masked}")
    _print_counts(answer.holdings.counts)
    for conversation in answer.holdings.records.get("conversations", []):
        print(f"  conversation {mask(conversation['conversation'])}: {len(conversation['events'])} events")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from parcels import privacy

    key = _key(args)
    uow, archive = _stores()
    at = datetime.now(UTC)
    answer, document = _run(privacy.export, uow, archive, key, args.by, args.ground, at)
    path = Path(args.output)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    page = path.with_suffix(".html")
    page.write_text(readable_page(answer, args.language, at), encoding="utf-8")
    print(f"{answer.reference}: {sum(answer.holdings.counts.values())} records written to {path} and {page}")
    return 0


def readable_page(answer: Any, language: str | None, at: datetime) -> str:
    from parcels.policy import current_policy
    from parcels.retention import current_retention
    from templates.privacy_page import readable_export

    home = next(iter(current_policy().markets.values()))
    return readable_export(answer.holdings, answer.reference, at, language, current_retention(), home.time_zone)


def cmd_erase(args: argparse.Namespace) -> int:
    from parcels import privacy

    key = _key(args)
    uow, archive = _stores()
    if not args.yes:
        found = _run(privacy.find, uow, archive, key, args.by, f"before erasing: {args.ground}", datetime.now(UTC))
        print(f"erasing {key.kind} {key.masked} removes or strips:")
        _print_counts(found.holdings.counts)
        if found.holdings.empty:
            print("nothing is held: nothing to erase")
            return 0
        if not sys.stdin.isatty():
            raise PrivacyCliError("confirm with --yes (no terminal to ask on)")
        if input("type ERASE to go ahead: ").strip() != "ERASE":
            print("left as it was")
            return 1
    answer = _run(privacy.erase, uow, archive, key, args.by, args.ground, datetime.now(UTC))
    print(f"{answer.reference}: erased")
    _print_counts(answer.erased)
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    from parcels import privacy

    uow, _ = _stores()
    for row in privacy.audit_log(uow, args.limit):
        outcome = ", ".join(f"{kind} {n}" for kind, n in sorted(row.outcome.items())) or "nothing"
        print(f"{row.at:%Y-%m-%d %H:%M} {row.reference} {row.kind:<6} {row.key_kind} {row.key_masked}"
              f" by {row.actor} ({row.ground}): {outcome}")  # fmt: skip
    return 0
