"""E-mail: single messages (.eml) and mailboxes (.mbox) with the standard library's ``email`` and ``mailbox``.

A message becomes a document titled by its subject, whose text opens with its Subject, From, To, Date and
attachment names, then its body (plain text preferred, HTML through saferag's HTML reader). Subject, sender and
date go into every chunk's metadata. Its attachments are returned as (file name, bytes) for ``formats.read`` to
ingest as documents of their own (``mail.eml/report.pdf``). A mailbox yields one message per document, sources
``inbox.mbox/1``, ``inbox.mbox/2``, … in mailbox order.
"""

from __future__ import annotations

import email
import mailbox
import os
import re
import tempfile
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

from saferag.errors import DocumentError
from saferag.ingest.document import Document
from saferag.ingest.formats.common import one_line
from saferag.ingest.html import html_to_text

Attachment = tuple[str, bytes]
_BAD_NAME = re.compile(r"[\x00-\x1f/\\]+")
MAX_RECIPIENTS = 400  # characters of a To or Cc list kept in a message's text


def read_eml(data: bytes, source: str) -> tuple[Document, list[Attachment]]:
    msg = email.message_from_bytes(data, policy=policy.default)
    if not any(k.lower() in ("from", "subject", "date", "to", "message-id") for k in msg.keys()):
        raise DocumentError("not an e-mail: no From, To, Subject or Date header")
    return message_document(msg, source)


def read_mbox(data: bytes, source: str) -> list[tuple[Document, list[Attachment]]]:
    if not data.startswith(b"From "):
        raise DocumentError("not an mbox file: it does not start with a 'From ' line")
    fd, path = tempfile.mkstemp(suffix=".mbox", prefix="saferag-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # The factory makes every message an EmailMessage (typeshed types mbox's messages as mboxMessage).
        box = mailbox.mbox(path, factory=lambda f: email.message_from_binary_file(  # type: ignore[call-overload]
            f, policy=policy.default), create=False)
        out = [message_document(msg, f"{source}/{n}") for n, msg in enumerate(box, 1)]  # type: ignore[arg-type]
        box.close()
    finally:
        os.unlink(path)
    if not out:
        raise DocumentError("no messages in mbox file")
    return out


def message_document(msg: EmailMessage, source: str) -> tuple[Document, list[Attachment]]:
    subject, sender, to = (_header(msg, h) for h in ("subject", "from", "to"))
    date = _date(msg)
    attachments = _attachments(msg)
    body = msg.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        try:
            text = body.get_content()
        except (LookupError, ValueError, AssertionError) as exc:  # unknown charset, broken encoding
            raise DocumentError(f"cannot decode the e-mail's body: {exc}") from None
        if body.get_content_subtype() == "html":
            text = html_to_text(text).text
    return email_document(source, subject, [("From", sender), ("To", to), ("Date", date)], attachments,
                          text), attachments


def email_document(source: str, subject: str, fields: list[tuple[str, str]], attachments: list[Attachment],
                   body: str) -> Document:
    """A message as saferag stores it, whatever its file format: a head of Subject, the ``fields`` that have a
    value and the attachments' names, then the body; subject, sender ("From") and date in the metadata."""
    head = [f"{label}: {_capped(value) if label in ('To', 'Cc') else value}"
            for label, value in [("Subject", subject), *fields] if value]
    if attachments:
        head.append("Attachments: " + ", ".join(name for name, _ in attachments))
    full = "\n".join(head) + ("\n\n" + body.strip() if body.strip() else "")
    values = dict(fields)
    meta = {key: value for key, value in (("subject", subject), ("sender", values.get("From", "")),
                                          ("date", values.get("Date", ""))) if value}
    return Document(source, "email", full.strip(), subject, metadata=meta)


def _capped(recipients: str) -> str:
    """A recipient list cut after ``MAX_RECIPIENTS`` characters, at a separator: a message to a whole company would
    otherwise fill chunks with addresses."""
    if len(recipients) <= MAX_RECIPIENTS:
        return recipients
    sep = ";" if ";" in recipients else ","  # Outlook's lists use ";", and "Doe, Jane" has a comma of its own
    cut = recipients.rfind(sep, 0, MAX_RECIPIENTS)
    if cut <= 0:
        return recipients[:MAX_RECIPIENTS].rstrip() + " …"
    return f"{recipients[:cut]}{sep} … ({recipients.count(sep, cut + 1) + 1} more)"


def _header(msg: EmailMessage, name: str) -> str:
    try:
        return one_line(msg.get(name, "") or "")
    except (ValueError, TypeError, IndexError, AttributeError):  # a malformed header the parser gave up on
        return one_line(msg.get_all(name, [""])[0] if hasattr(msg, "get_all") else "")


def _date(msg: EmailMessage) -> str:
    raw = _header(msg, "date")
    try:
        return parsedate_to_datetime(raw).isoformat() if raw else ""
    except (TypeError, ValueError, IndexError):
        return raw


def _attachments(msg: EmailMessage) -> list[Attachment]:
    """(unique file name, bytes) of each attachment; a forwarded message is one too (``.eml``)."""
    out: list[Attachment] = []
    names: set[str] = set()
    for n, part in enumerate(msg.iter_attachments(), 1):
        if part.get_content_type() == "message/rfc822":
            inner = part.get_content()
            name, data = part.get_filename() or f"message-{n}.eml", inner.as_bytes(policy=policy.SMTP)
            if not name.lower().endswith(".eml"):
                name += ".eml"
        else:
            name = part.get_filename() or ""
            data = part.get_payload(decode=True) or b""
            if not name:
                continue  # an unnamed inline part (an image in the HTML body)
        out.append((unique_name(name, n, names), data))
    return out


def unique_name(name: str, n: int, names: set[str]) -> str:
    """Attachment ``n``'s file name made safe for a source path (no slashes or control characters) and unique
    among ``names``, which it joins: two attachments called ``a.pdf`` become ``a.pdf`` and ``a-2.pdf``."""
    name = _BAD_NAME.sub("_", name).strip(" .") or f"attachment-{n}"
    stem, dot, ext = name.rpartition(".")
    unique, k = name, 2
    while unique in names:
        unique = f"{stem}-{k}.{ext}" if dot else f"{name}-{k}"
        k += 1
    names.add(unique)
    return unique
