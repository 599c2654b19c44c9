"""A static site's template tags (Hugo shortcodes, Jekyll's Liquid) leave its Markdown pages' text (rule SC1)."""

from __future__ import annotations

from saferag.ingest.extract import to_text
from saferag.ingest.sources import DocumentRef, RawDocument

HUGO = """---
title: Image processing
---

Resize images in your templates. {{< new-in 0.123.0 >}}

## Settings

{{< code-toggle file=hugo >}}
[imaging]
quality = 75
{{< /code-toggle >}}

{{% include "/_common/filter-note.md" %}}

A {{< glossary_tooltip text="page bundle" term_id="bundle" >}} holds the image (see {{< ref "bundles" >}}).
Write `{{</* img src="a.jpg" */>}}` in content, or {{%/* note */%}} for a note.

```go-html-template
{{ with .Resources.Get "a.jpg" }}{{ .Width }}{{ end }}
{{< not-run-in-code >}} {{</* shown */>}}
```

{{ .Title }} is a Go template action, text in content.
"""

JEKYLL = """---
layout: docs
title: Permalinks
---

Set a [default]({{ site.repository }}/blob/main/docs.md) in your [configuration]({% link _docs/configuration.md %}).

{% raw %}
```liquid
{% for post in site.posts %}{{ post.url }}{% endfor %}
```
{% endraw %}

Print the date with `{% raw %}{{ page.date }}{% endraw %}` in a layout.

{% highlight ruby %}
puts "{{ not.liquid }}"
{% endhighlight %}

{% comment %}TODO: document collections{% endcomment %}
{% include docs_contents.html %}
Posts use the `:title` placeholder.
"""


def read(text: str, source: str):
    return to_text(RawDocument(ref=DocumentRef(source, source, "markdown"), data=text.encode(), kind="markdown"))


def test_hugo_shortcodes_go_and_what_the_reader_sees_stays():
    doc = read(HUGO, "images.md")
    assert doc.title == "Image processing" and [h.text for h in doc.headings] == ["Settings"]
    before_code, code, after_code = doc.text.split("```")
    assert before_code == (
        "Resize images in your templates.\n\n## Settings\n\n[imaging]\nquality = 75\n\n\n"
        "A page bundle holds the image (see).\n"
        'Write `{{< img src="a.jpg" >}}` in content, or {{% note %}} for a note.\n\n')
    assert code == ('go-html-template\n{{ with .Resources.Get "a.jpg" }}{{ .Width }}{{ end }}\n'
                    "{{< not-run-in-code >}} {{< shown >}}\n")
    assert after_code == "\n\n{{ .Title }} is a Go template action, text in content."


def test_liquid_tags_go_and_raw_and_highlighted_code_stays():
    doc = read(JEKYLL, "permalinks.md")
    assert doc.title == "Permalinks"
    assert doc.text == (
        "Set a [default](/blob/main/docs.md) in your [configuration]().\n\n\n"
        "```liquid\n{% for post in site.posts %}{{ post.url }}{% endfor %}\n```\n\n\n"
        "Print the date with `{{ page.date }}` in a layout.\n\n"
        '```ruby\nputs "{{ not.liquid }}"\n```\n\n'
        "Posts use the `:title` placeholder.")


def test_pages_without_front_matter_keep_their_braces():
    page = "# Templates\n\nA loop reads {% for x in items %} and a value {{ page.title }} or {{< x >}}.\n"
    assert read(page, "README.md").text == page.strip()
    mdx = "---\ntitle: Tabs\n---\n\n<Tabs>{items.map(i => <Tab>{i}</Tab>)}</Tabs>\n"
    assert read(mdx, "tabs.md").text == "<Tabs>{items.map(i => <Tab>{i}</Tab>)}</Tabs>"
