"""A document's title as read from its file, cleaned of what names no document.

The title is embedded above every chunk and shown with each source, so a placeholder a tool wrote ("about:blank"
from a browser's print of generated HTML, Word's "Document1", Google Docs' "Untitled document", a PDF printer's
"Microsoft Word - report.docx") would stand in every passage of the file. No library knows these; the list is
of what the common writers put there by default.
"""

from __future__ import annotations

import re

from saferag.ingest.formats.common import unligature

#: Line breaks and runs of blanks, but a no-break space is kept inside: it is how "F.1.\xa0adminpack" is written.
_SPACES = re.compile(r"[^\S\xa0]+")
#: The job name a PDF printer (Acrobat PDFMaker, Distiller) puts before an Office file's name.
_PRINTER_JOB = re.compile(r"^microsoft\s+(?:office\s+)?(?:word|powerpoint|excel|publisher|visio)\s+-(?:\s+|$)",
                          re.IGNORECASE)
#: A file name's suffix at the end of a title: "report.docx" names its file, not its subject.
_FILE_SUFFIX = re.compile(
    r"(?<=\w)\.(?:docx?|docm|dotx?|pptx?|xlsx?|rtf|odt|odp|ods|pdf|txt|html?|tex|dvi|ps|indd|qxd|pub|md)$",
    re.IGNORECASE)
#: Titles writers give a document nobody titled.
_PLACEHOLDER = re.compile(
    r"^(?:about:blank|\(?(?:untitled|no\s+title)\)?(?:[\s_-]*\d+)?(?:\s+(?:document|presentation|spreadsheet|page))?"
    r"|new\s+document|powerpoint\s+presentation|title"
    r"|(?:document|book|presentation|publication|workbook|drawing)\d{1,2})$",  # Word's "Document1": no space
    re.IGNORECASE)


def document_title(title: str) -> str:
    """``title`` on one line with its ligatures spelt out and no soft hyphen, or ``""`` where it is a writer's
    placeholder; a PDF printer's "Microsoft Word - " and a file name's suffix are taken off what remains. Readers
    with a fallback (a document's first heading) call it before falling back; ``to_documents`` for every title."""
    title = _SPACES.sub(" ", unligature(title).replace("\u00ad", "")).strip()
    title = _PRINTER_JOB.sub("", title, count=1)
    title = _FILE_SUFFIX.sub("", title)
    if _PLACEHOLDER.match(title) or not any(c.isalnum() for c in title):
        return ""
    return title
