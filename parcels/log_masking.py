"""Log lines never hold a full phone number or email address: every record a process makes, whichever logger and
handler it goes to, is masked as it is made (the message and its traceback), the way the console shows them.

``install()`` once at a process's start (the web, the actions server and each of its workers, the notifier);
``bot.log_masking`` does the same inside the Rasa server, which imports none of ours.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

from parcels.privacy_records import mask

PHONE = re.compile(r"(?<![\w+])\+\d{8,15}(?!\d)")  # E.164, as senders and recipients are written
EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}")


def masked(text: str) -> str:
    """``text`` with each phone number and email address in it masked."""
    return EMAIL.sub(lambda m: mask(m.group()), PHONE.sub(lambda m: mask(m.group()), text))


def _masking(make: Any) -> Any:
    def record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        made: logging.LogRecord = make(*args, **kwargs)
        try:
            message = made.getMessage()
        except Exception:  # a message that does not format is logging's own error to report, later
            return made
        hidden = masked(message)
        if hidden != message:
            made.msg, made.args = hidden, ()
        if made.exc_info and made.exc_info[0] is not None:
            made.exc_text = masked("".join(traceback.format_exception(*made.exc_info)).rstrip("\n"))
        return made

    record.masks_personal_data = True  # type: ignore[attr-defined]
    return record


def install() -> None:
    """Mask every record this process makes from now on (once: a second call changes nothing)."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "masks_personal_data", False):
        logging.setLogRecordFactory(_masking(factory))
