"""Outlook messages (.msg) with extract-msg: the item as an e-mail document, its attachments as their own.

A .msg file is an OLE2 compound file of MAPI properties, which no standard library reads. extract-msg (in the
``formats`` extra) reads the properties Outlook writes, decodes each codepage, and recovers a body kept only as
compressed RTF. The message is stored as ``mail.py`` stores an .eml (Subject, From, To, Cc, Date and attachment
names, then the body: plain text preferred, HTML through saferag's HTML reader); an appointment adds its place
and times. Attachments, a message attached inside the message included (as ``.msg``), are returned for
``formats.read`` to ingest under the message's source, like an .eml's.
"""

from __future__ import annotations

import datetime
import logging
import re
from typing import Any

from saferag.errors import DocumentError
from saferag.ingest.document import Document
from saferag.ingest.formats.common import need, one_line
from saferag.ingest.formats.mail import Attachment, email_document, unique_name
from saferag.ingest.html import html_to_text

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_NUL = re.compile(r"\x00+")


def read_msg(data: bytes, source: str) -> tuple[Document, list[Attachment]]:
    """The message in ``data`` (an Outlook .msg file) and its attachments."""
    if not data.startswith(OLE2):
        raise DocumentError("not an Outlook message: a .msg file is an OLE2 compound file")
    extract_msg = need("extract_msg", "Outlook message")
    # Its per-property warnings (an unknown codepage, a missing optional stream) would fill the ingest's log.
    logging.getLogger("extract_msg").setLevel(logging.ERROR)
    behavior = extract_msg.enums.ErrorBehavior
    try:
        msg = extract_msg.openMsg(data, errorBehavior=behavior.ATTACH_SUPPRESS_ALL | behavior.RTFDE,
                                  delayAttachments=False)
    except (OSError, ValueError, KeyError, IndexError, NotImplementedError,
            extract_msg.exceptions.ExMsgBaseException) as exc:  # olefile's errors are OSErrors
        raise DocumentError(f"corrupt Outlook message: {type(exc).__name__}: {exc}") from None
    try:
        return _document(msg, source)
    finally:
        msg.close()


def _document(msg: object, source: str) -> tuple[Document, list[Attachment]]:
    subject = _field(msg, "subject")
    fields = [("From", _field(msg, "sender")), ("To", _field(msg, "to")), ("Cc", _field(msg, "cc")),
              ("Date", _field(msg, "date"))]
    fields += [(label, _field(msg, name)) for label, name in
               (("Location", "location"), ("Start", "appointmentStartWhole"), ("End", "appointmentEndWhole"))]
    attachments = _attachments(msg)
    return email_document(source, subject, fields, attachments, _body(msg)), attachments


def _field(msg: object, name: str) -> str:
    """One property as one line ("" where the item has none or it cannot be decoded)."""
    try:
        value = getattr(msg, name, None)
    except Exception:  # noqa: BLE001 - a property extract-msg cannot decode is left out, not the message
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return one_line(_NUL.sub("", value)) if isinstance(value, str) else ""


def _body(msg: object) -> str:
    """Plain text where the message has it (extract-msg recovers it from an RTF-only body), else its HTML's text."""
    for name in ("body", "htmlBody"):
        try:
            value = getattr(msg, name, None)
        except Exception:  # noqa: BLE001 - a broken body stream: try the other
            continue
        if isinstance(value, bytes):
            value = html_to_text(value.decode("utf-8", "replace")).text
        if isinstance(value, str) and (text := _NUL.sub("", value)).strip():
            return text.replace("\r\n", "\n")
    return ""


def _attachments(msg: object) -> list[Attachment]:
    """(unique file name, bytes) of each attachment with a name; an attached message as its own ``.msg`` file. An
    inline image of the HTML body (hidden in Outlook's list of attachments) is left out, as in an .eml."""
    out: list[Attachment] = []
    names: set[str] = set()
    for n, att in enumerate(getattr(msg, "attachments", []), 1):
        if getattr(att, "hidden", False):
            continue
        try:
            name = one_line(att.getFilename())  # the long name, else the short one; an attached message's subject
        except Exception:  # noqa: BLE001 - no usable name: as an unnamed part
            name = ""
        data: Any = getattr(att, "data", None)
        if hasattr(data, "exportBytes"):  # an embedded message: written back out as a .msg file of its own
            try:
                data = data.exportBytes()
            except Exception:  # noqa: BLE001 - one attached message extract-msg cannot write must not lose this one
                continue
            name = name or f"message-{n}.msg"
            if not name.lower().endswith(".msg"):
                name += ".msg"
        if not isinstance(data, bytes) or not name:
            continue  # an unnamed inline part (an image in the HTML body), a link, or one it could not read
        out.append((unique_name(name, n, names), data))
    return out
