"""Log lines of the Rasa server never hold a full phone number or email address: every record is masked as it is
made, as ``parcels.log_masking`` does in our other processes (the rasa env cannot import ours). Installed when
Rasa loads ``bot`` (endpoints.yml names ``bot.stores``), before the first conversation."""

import logging
import re
import traceback
from typing import Any

PHONE = re.compile(r"(?<![\w+])\+\d{8,15}(?!\d)")
EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}")


def _mask(text: str) -> str:
    if "@" in text:
        local, _, domain = text.partition("@")
        return f"{local[:1]}•••@{domain}"
    return text[:4] + "•" * (len(text) - 7) + text[-3:]


def masked(text: str) -> str:
    return EMAIL.sub(lambda m: _mask(m.group()), PHONE.sub(lambda m: _mask(m.group()), text))


def install() -> None:
    make = logging.getLogRecordFactory()
    if getattr(make, "masks_personal_data", False):
        return

    def record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        made = make(*args, **kwargs)
        try:
            message = made.getMessage()
        except Exception:
            return made
        hidden = masked(message)
        if hidden != message:
            made.msg, made.args = hidden, ()
        if made.exc_info and made.exc_info[0] is not None:
            made.exc_text = masked("".join(traceback.format_exception(*made.exc_info)).rstrip("\n"))
        return made

    record.masks_personal_data = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(record)
