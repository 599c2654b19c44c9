"""Write the LibreOffice-made test fixtures ``tests/data/libreoffice_handset_{zh,ar}.{odt,docx}``: a handbook
in Chinese and one in Arabic (``tests/ingest/format_writers.SCRIPT_HANDSETS``) formatted by hand in a real
LibreOffice, the way a user does it: the title selected and grown five times ("Increase Font Size", Ctrl+]),
section lines and one sentence selected and set in bold (Ctrl+B), with Asian and complex text layout enabled, as
they are for a user whose language needs them. LibreOffice then stores the grown size in the script class's own
property alone (``style:font-size-asian``), which is what ``ingest/formats/odf_styles.py`` must read; saved as
Word, the Arabic title's size is in ``w:szCs`` alone (``word_headings.py``).

Needs LibreOffice and its Python bridge (Debian: ``libreoffice-writer-nogui python3-uno``) and runs under the
system Python that has ``uno``: ``/usr/bin/python3 scripts/libreoffice_fixtures.py``. Not part of the tests, which
read the committed files.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno  # type: ignore[import-not-found]  # LibreOffice's bridge, in the system Python only
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "ingest"))
from format_writers import SCRIPT_HANDSETS  # noqa: E402

PORT = 2002
GROW = 5  # "Increase Font Size" steps of 2 pt: the Asian default 10.5 pt becomes 20.5 pt, the complex 12 pt 22 pt


def prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(timeout: float = 60.0):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + timeout
    while True:
        try:
            return resolver.resolve(f"uno:socket,host=127.0.0.1,port={PORT};urp;StarOffice.ComponentContext")
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def enable_script_layouts(ctx) -> None:
    """Asian and complex text layout on (Tools › Options › Language Settings), so that formatting applies to the
    selection's own script class."""
    provider = ctx.ServiceManager.createInstanceWithContext("com.sun.star.configuration.ConfigurationProvider", ctx)
    for node, name in (("CJK", "CJKFont"), ("CTL", "CTLFont")):
        access = provider.createInstanceWithArguments("com.sun.star.configuration.ConfigurationUpdateAccess",
                                                      (prop("nodepath", f"/org.openoffice.Office.Common/I18N/{node}"),))
        access.setPropertyValue(name, True)
        access.commitChanges()


def write(ctx, lines: list[tuple[str, str]], out: Path) -> None:
    """The document as OpenDocument at ``out``, and as Word beside it."""
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = desktop.loadComponentFromURL("private:factory/swriter", "_blank", 0, (prop("Hidden", True),))
    text, cursor = doc.Text, doc.Text.createTextCursor()
    for i, (_, line) in enumerate(lines):
        if i:
            text.insertControlCharacter(cursor, 0, False)  # a paragraph break
        text.insertString(cursor, line, False)
    frame, view = doc.CurrentController.Frame, doc.CurrentController.ViewCursor
    dispatch = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", ctx).executeDispatch
    paragraphs = text.createEnumeration()
    for kind, _ in lines:
        paragraph = paragraphs.nextElement()
        if kind == "body":
            continue
        view.gotoRange(paragraph.Start, False)
        view.gotoRange(paragraph.End, True)  # the paragraph selected, as a user would
        for _ in range(GROW if kind == "title" else 1):
            dispatch(frame, ".uno:Grow" if kind == "title" else ".uno:Bold", "", 0, ())
    doc.storeToURL(uno.systemPathToFileUrl(str(out)), (prop("FilterName", "writer8"),))
    doc.storeToURL(uno.systemPathToFileUrl(str(out.with_suffix(".docx"))), (prop("FilterName", "MS Word 2007 XML"),))
    doc.close(True)


def main() -> None:
    with tempfile.TemporaryDirectory() as profile:  # a fresh profile: nothing of the user's settings
        office = subprocess.Popen(["soffice", f"-env:UserInstallation={uno.systemPathToFileUrl(profile)}",
                                   "--headless", "--invisible", "--norestore", "--nologo",
                                   f"--accept=socket,host=127.0.0.1,port={PORT};urp;"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ctx = connect()
            enable_script_layouts(ctx)
            for script, lang in (("asian", "zh"), ("complex", "ar")):
                lines = [("head" if kind == "strong" else kind, line) for kind, line in SCRIPT_HANDSETS[script]]
                out = ROOT / "tests" / "data" / f"libreoffice_handset_{lang}.odt"
                write(ctx, lines, out)
                print(out)
            ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx).terminate()
        finally:
            try:
                office.wait(timeout=30)
            except subprocess.TimeoutExpired:
                office.kill()


if __name__ == "__main__":
    main()
