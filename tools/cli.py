"""``python -m parcels <command>``: migrate, demo data, the showcase, promise examples, file imports, staff and
shoppers' data requests (``tools.privacy_cli``).

Exit codes: 0 done; 1 an import rejected some records (the valid ones are kept), or an erasure was not confirmed;
2 the command could not run (unreadable file, unreachable database, bad arguments...).
"""

from __future__ import annotations

import argparse
import csv
import getpass
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.util.exc import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from parcels import json_input
from parcels.ingest import IngestReport
from parcels.policy import PolicyError
from tools.privacy_cli import add_commands as add_privacy_commands

CHUNK = 1000  # records per call of the ingestion use case


class CliError(Exception):
    """A command that cannot run: reported on one line, exit code 2."""


def _errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [
        CliError,
        OSError,
        SQLAlchemyError,
        sqlite3.Error,
        PolicyError,
        CommandError,
    ]
    from tools.demo import DemoError
    from tools.privacy_cli import PrivacyCliError

    errors += [DemoError, PrivacyCliError]
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is in the app environment
        pass
    else:
        errors.append(psycopg.Error)
    return tuple(errors)


def _one_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None)  # SQLAlchemy wraps the driver's error: its own text is the useful part
    text = str(orig if orig is not None else error).strip() or type(error).__name__
    return text.splitlines()[0]


def _database_label() -> str:
    from parcels.storage.db import database_url

    return make_url(database_url()).render_as_string(hide_password=True)


def _parse_now(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 date-time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# --------------------------------------------------------------------------- commands


def cmd_migrate(args: argparse.Namespace) -> int:
    from parcels.storage.migrate import upgrade

    upgrade()
    print(f"database {_database_label()} is at the latest revision")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from parcels.storage.migrate import upgrade
    from tools.demo import DemoAlreadyLoaded, generate

    upgrade()
    now = args.now or datetime.now(UTC)
    started = time.perf_counter()
    try:
        written = generate(args.count, args.seed, now, progress=True)
    except DemoAlreadyLoaded as error:
        if not args.skip_if_loaded:
            raise
        print(f"demo data not written: {error}")
        return 0
    elapsed = time.perf_counter() - started
    rate = written / elapsed if elapsed > 0 else float("inf")
    print(f"wrote {written:,} shipments (seed {args.seed}) in {elapsed:.1f} s: {rate:,.0f} shipments/s")
    return 0


def cmd_showcase(args: argparse.Namespace) -> int:
    from parcels.storage.migrate import upgrade
    from tools.demo import showcase

    upgrade()
    rows = showcase(args.now or datetime.now(UTC))
    width = max(len("tracking number"), *(len(r.tracking_number) for r in rows))
    outcome_width = max(len("outcome"), *(len(r.outcome) for r in rows))
    print(f"{'tracking number':<{width}}  {'outcome':<{outcome_width}}  description")
    for row in rows:
        print(f"{row.tracking_number:<{width}}  {row.outcome:<{outcome_width}}  {row.description}")
    return 0


def cmd_promise_examples(args: argparse.Namespace) -> int:
    from tools.examples import render

    document = render()
    if args.output is None:
        sys.stdout.write(document)
    else:
        Path(args.output).write_text(document, encoding="utf-8")
        print(f"wrote {args.output}")
    return 0


@dataclass(slots=True)
class ImportTotals:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str | None, str]] = field(default_factory=list)  # (line, id, error)

    def add(self, report: IngestReport, lines: Sequence[int]) -> None:
        self.accepted += len(report.accepted)
        self.duplicates += len(report.duplicates)
        self.rejected += [(lines[r.index], r.id, r.error) for r in report.rejected]


def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    fmt = args.format or _format_of(path)
    from parcels.storage.unit_of_work import SqlUnitOfWork

    uow = SqlUnitOfWork()
    if args.kind == "events":
        from parcels.ingest import ingest_events

        received_at = datetime.now(UTC)

        def ingest(records: list[Any]) -> IngestReport:
            return ingest_events(uow, records, received_at)

    else:
        from parcels.shipments import register_shipments

        def ingest(records: list[Any]) -> IngestReport:
            return register_shipments(uow, records)

    totals = import_file(path, fmt, ingest)
    print(f"accepted: {totals.accepted}, duplicates: {totals.duplicates}, rejected: {len(totals.rejected)}")
    for line, record_id, error in sorted(totals.rejected, key=lambda r: r[0]):
        print(f"line {line}: {record_id or '-'}: {error}", file=sys.stderr)
    return 1 if totals.rejected else 0


# --------------------------------------------------------------------------- file import


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise CliError(f"{path}: cannot tell the format from the name; use a .jsonl or .csv file, or --format")


def import_file(path: Path, fmt: str, ingest: Callable[[list[Any]], IngestReport]) -> ImportTotals:
    """Read ``path`` in chunks of ``CHUNK`` records and pass each chunk to ``ingest``."""
    from tqdm import tqdm

    totals = ImportTotals()
    size = path.stat().st_size
    with path.open("rb") as raw, tqdm(total=size, unit="B", unit_scale=True, desc=path.name, disable=None) as bar:
        lines = _lines(raw, bar.update)
        records = _jsonl_records(lines, totals) if fmt == "jsonl" else _csv_records(lines, totals)
        chunk: list[Any] = []
        numbers: list[int] = []
        for line_no, record in records:
            chunk.append(record)
            numbers.append(line_no)
            if len(chunk) >= CHUNK:
                totals.add(ingest(chunk), numbers)
                chunk, numbers = [], []
        if chunk:
            totals.add(ingest(chunk), numbers)
    return totals


@dataclass(slots=True)
class _Line:
    number: int
    text: str
    valid_utf8: bool


def _lines(raw: Iterable[bytes], advance: Callable[[int], object]) -> Iterator[_Line]:
    for number, data in enumerate(raw, start=1):
        advance(len(data))
        if number == 1 and data.startswith(b"\xef\xbb\xbf"):  # a byte-order mark, as spreadsheets write
            data = data[3:]
        try:
            yield _Line(number, data.decode("utf-8"), True)
        except UnicodeDecodeError:
            yield _Line(number, data.decode("utf-8", errors="replace"), False)


def _jsonl_records(lines: Iterator[_Line], totals: ImportTotals) -> Iterator[tuple[int, Any]]:
    for line in lines:
        if not line.text.strip():
            continue
        if not line.valid_utf8:
            totals.rejected.append((line.number, None, "the line is not valid UTF-8"))
            continue
        try:
            record = json_input.loads(line.text.rstrip("\r\n"))
        except json_input.BadJson as error:
            totals.rejected.append((line.number, None, f"the line is {error}"))
            continue
        yield line.number, record


def _csv_records(lines: Iterator[_Line], totals: ImportTotals) -> Iterator[tuple[int, Any]]:
    invalid: set[int] = set()

    def texts() -> Iterator[str]:
        for line in lines:
            if not line.valid_utf8:
                invalid.add(line.number)
            yield line.text

    reader = csv.reader(texts())
    try:
        header = next(reader)
    except StopIteration:
        return
    names = [name.strip() for name in header]
    first_line = reader.line_num + 1
    try:
        for row in reader:
            last_line = reader.line_num
            start, first_line = first_line, last_line + 1
            if not any(cell.strip() for cell in row):
                continue
            if invalid & set(range(start, last_line + 1)):
                totals.rejected.append((start, None, "the line is not valid UTF-8"))
                continue
            if len(row) > len(names):
                totals.rejected.append((start, None, f"{len(row)} fields where the header names {len(names)}"))
                continue
            yield start, {name: value for name, value in zip(names, row, strict=False) if name}
    except csv.Error as error:
        totals.rejected.append((reader.line_num, None, f"malformed CSV: {error}"))


def cmd_staff_add(args: argparse.Namespace) -> int:
    """Add a console account; the password comes from STAFF_PASSWORD or standard input, never the command line."""
    from parcels.staff import StaffError, StaffExists, create_staff, find_staff
    from parcels.storage.migrate import upgrade
    from parcels.storage.unit_of_work import SqlUnitOfWork

    upgrade()
    uow = SqlUnitOfWork()
    if args.if_exists == "skip" and find_staff(uow, args.email) is not None:
        print(f"{args.email}: already there, left as it is")
        return 0
    password = os.environ.get("STAFF_PASSWORD")
    if password is None:
        asked = f"password for {args.email}: "
        password = getpass.getpass(asked) if sys.stdin.isatty() else sys.stdin.readline()
    password = password.rstrip("\r\n")
    try:
        member = create_staff(uow, args.email, args.name, args.role, password, update=args.if_exists == "update")
    except StaffExists as error:
        raise CliError(f"{error} (--if-exists update changes it, --if-exists skip leaves it)") from None
    except StaffError as error:
        raise CliError(str(error)) from None
    print(f"{member.email}: {member.role} account ready")
    return 0


# --------------------------------------------------------------------------- entry point


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m parcels", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    migrate = commands.add_parser("migrate", help="bring the database (DATABASE_URL) to the latest revision")
    migrate.set_defaults(func=cmd_migrate)

    demo = commands.add_parser("demo", help="migrate, then load deterministic demo shipments")
    demo.add_argument("--count", type=int, default=10_000, help="shipments to write (default 10,000)")
    demo.add_argument("--seed", type=int, default=1, help="the same seed and --now give the same data (default 1)")
    demo.add_argument("--now", type=_parse_now, help="ISO 8601 'now' of the data (default: the clock; naive = UTC)")
    demo.add_argument(
        "--skip-if-loaded", action="store_true", help="exit 0 without writing when this seed's data is already there"
    )
    demo.set_defaults(func=cmd_demo)

    show = commands.add_parser("showcase", help="migrate, then (re)write the showcase shipments, one per outcome")
    show.add_argument("--now", type=_parse_now, help="ISO 8601 'now' (default: the clock)")
    show.set_defaults(func=cmd_showcase)

    examples = commands.add_parser(
        "promise-examples", help="print (or write) the Markdown of worked promise examples, decided by the engine"
    )
    examples.add_argument("--output", metavar="PATH", help="write the document to PATH (default: print it)")
    examples.set_defaults(func=cmd_promise_examples)

    imp = commands.add_parser("import", help="import events or shipments from a JSONL or CSV file")
    imp.add_argument("kind", choices=("events", "shipments"))
    imp.add_argument("file", help="a .jsonl (one JSON object a line) or .csv (header row) file")
    imp.add_argument("--format", choices=("jsonl", "csv"), help="the file's format (default: from its name)")
    imp.set_defaults(func=cmd_import)
    staff = commands.add_parser("staff", help="staff console accounts")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True, metavar="staff-command")
    add = staff_commands.add_parser(
        "add", help="add an account; the password is read from STAFF_PASSWORD or standard input"
    )
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=("agent", "marketer", "admin"))
    add.add_argument(
        "--if-exists",
        choices=("fail", "skip", "update"),
        default="fail",
        help="when the email has an account: fail (default), skip it, or update its name, role and password",
    )
    add.set_defaults(func=cmd_staff_add)
    add_privacy_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print(f"parcels {args.command}: interrupted", file=sys.stderr)
        return 130
    except _errors() as error:
        print(f"parcels {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return 2
