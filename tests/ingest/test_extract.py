from pathlib import Path

import pytest
from corpus import TOPICS, html_page, pdf_bytes

from saferag.errors import DocumentError
from saferag.ingest.extract import to_text
from saferag.ingest.sources import DocumentRef, RawDocument


def raw(data: bytes, kind: str, source: str = "doc", charset: str | None = None) -> RawDocument:
    return RawDocument(ref=DocumentRef(source, source, kind), data=data, kind=kind, charset=charset)


def test_html_keeps_the_article_and_drops_boilerplate():
    title, paragraphs = TOPICS["geology/volcanoes.html"]
    doc = to_text(raw(html_page(title, paragraphs).encode(), "html"))
    assert doc.title == "Volcanoes"
    assert "Stratovolcanoes such as Mount Fuji" in doc.text
    for boilerplate in ("Shop our store", "tracking", "font-family", "Cookie policy"):
        assert boilerplate not in doc.text


def test_short_html_page_is_not_lost():
    doc = to_text(raw(b"<html><body><p>Just one short line.</p></body></html>", "html"))
    assert doc.text == "Just one short line."


def test_html_declared_charset_is_honoured():
    page = "<html><head><meta charset='iso-8859-1'></head><body><p>Caf\xe9 cr\xe8me br\xfbl\xe9e.</p></body></html>"
    doc = to_text(raw(page.encode("latin-1"), "html"))
    assert "Café crème brûlée." in doc.text


def test_markdown_title_is_its_first_heading():
    doc = to_text(raw(b"intro\n\n# Real Title\n\nbody text", "markdown"))
    assert doc.title == "Real Title" and "body text" in doc.text


def test_pdf_text_and_page_starts():
    title, paragraphs = TOPICS["manuals/bicycle.pdf"]
    doc = to_text(raw(pdf_bytes(title, paragraphs), "pdf"))
    assert doc.title == "Bicycle care"
    assert "chain oil" in doc.text
    assert len(doc.page_starts) == 3 and doc.page_starts[0] == 0
    assert doc.text[doc.page_starts[2]:].startswith("Check tyre pressure")


@pytest.mark.parametrize("data,kind,reason", [
    (b"", "text", "empty file"),
    (b"  \n\t ", "markdown", "empty file"),
    (b"GIF89a\x00\x01\x00\x00binary", "text", "binary file"),
    (b"caf\xe9 au lait", "text", "invalid UTF-8 at byte 3"),
    (b"<html><body><script>x()</script></body></html>", "html", "no text found in HTML"),
    (b"<html><head><title>t</title></head><body><div><span></span></div", "html", "no text found in HTML"),
    (b"%PDF-1.4\n1 0 obj garbage that is not a PDF", "pdf", "corrupt PDF"),
    (b"this is not a pdf at all", "pdf", "corrupt PDF: no %PDF header"),
])
def test_bad_documents_raise_a_reason(data: bytes, kind: str, reason: str):
    with pytest.raises(DocumentError, match=reason):
        to_text(raw(data, kind))


def test_truncated_pdf_is_corrupt(tmp_path: Path):
    title, paragraphs = TOPICS["manuals/bicycle.pdf"]
    data = pdf_bytes(title, paragraphs)
    with pytest.raises(DocumentError, match="corrupt PDF|no text layer"):
        to_text(raw(data[: len(data) // 3], "pdf"))


MDX = """import { Tabs, TabItem } from '@astrojs/starlight/components';
import {
  Since,
} from '~/components/Since.astro'
export const versions = { a: 1,
  b: 2 }

## Installing the toolkit {/* the old name was "kit" */}

Run the installer once per project.

```js
import kit from 'kit'   // kept: code is the page's
{/* kept in code too */}
```

<Tabs>
  <TabItem label="npm">npm install kit</TabItem>
</Tabs>
"""


def test_mdx_is_read_as_markdown_without_its_module_lines_and_comments():
    doc = to_text(raw(MDX.encode(), "mdx", "install.mdx"))
    assert doc.kind == "markdown" and [h.text for h in doc.headings] == ["Installing the toolkit"]
    assert doc.text.startswith("## Installing the toolkit \n\nRun the installer once per project.")
    for gone in ("@astrojs", "Since", "versions", "old name"):
        assert gone not in doc.text
    for kept in ("import kit from 'kit'", "{/* kept in code too */}", '<TabItem label="npm">npm install kit'):
        assert kept in doc.text


def test_front_matter_gives_the_title_and_the_description_opens_the_text():
    page = ("---\ntitle: Image processing\ndescription: >-\n  Resize, crop and\n  filter images.\nweight: 30\n"
            "aliases: [/img/]\n---\n\n## Resize\n\nUse the resize method.\n")
    doc = to_text(raw(page.encode(), "markdown", "images.md"))
    assert doc.title == "Image processing"
    assert doc.text == "Resize, crop and filter images.\n\n## Resize\n\nUse the resize method."
    assert [h.text for h in doc.headings] == ["Resize"]
    toml = '+++\ntitle = "Deploying"\nweight = 4\n+++\n# Deploy to a server\n\nCopy the public folder.\n'
    doc = to_text(raw(toml.encode(), "markdown", "deploy.md"))
    assert doc.title == "Deploy to a server" and doc.text == "# Deploy to a server\n\nCopy the public folder."


def test_a_page_opening_with_a_rule_is_not_front_matter():
    page = "---\nThis page has no front matter, only a rule and a [link](x).\n\n- a list: item\n---\n\nBody.\n"
    doc = to_text(raw(page.encode(), "markdown", "rule.md"))
    assert doc.title == "" and doc.text == page.strip()


ADOC = """= Backup Guide
Jane Doe <jane@example.org>
:description: How to back up and restore the {product} database.
:product: Ledger
:url-repo: https://git.example.org/ledger
// an author's note, not the guide's text

== Nightly backups

{product} writes a snapshot at 02:00.
See xref:restore.adoc#steps[the restore steps] or <<retention,how long snapshots are kept>>.
Press kbd:[Ctrl+B] or choose menu:File[Backup > Now], and read the {url-repo}[source^].

.Taking a snapshot by hand
[source,shell]
----
ledger snapshot --now
include::snippets/extra.sh[]
----

////
A comment block,
left out.
////

[[retention]]
=== Retention

|===
|Kind |Kept for

|Daily |7 days
a|Weekly |4 weeks
|===

NOTE: Snapshots are compressed.
Read the "`quick start`" on {url-docs}/start[the docs site^].
"""


def test_asciidoc_is_read_as_markdown_with_its_structure():
    doc = to_text(raw(ADOC.encode(), "asciidoc", "backup.adoc"))
    assert doc.kind == "markdown" and doc.title == "Backup Guide"
    assert [(h.level, h.text) for h in doc.headings] == [(1, "Backup Guide"), (2, "Nightly backups"), (3, "Retention")]
    text = doc.text
    assert text.startswith("# Backup Guide\n\nHow to back up and restore the Ledger database.\n\n")
    assert "Ledger writes a snapshot at 02:00." in text
    assert "See the restore steps or how long snapshots are kept." in text
    assert "Press Ctrl+B or choose File > Backup > Now, and read the source." in text
    assert "Taking a snapshot by hand\n```shell\nledger snapshot --now\n```" in text  # include:: not followed
    assert "Daily | 7 days" in text and "Weekly | 4 weeks" in text and "NOTE: Snapshots are compressed." in text
    assert 'Read the "quick start" on the docs site.' in text  # the site's URL attribute is set elsewhere
    for gone in ("Jane Doe", "author's note", "comment block", "[[retention]]", ":product:", "[source", "----", "|==="):
        assert gone not in text
