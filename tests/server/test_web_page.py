"""The web chat page, end to end in headless Chromium (Debian's `chromium`, driven by Playwright): a
conversation (a question, a follow-up, an unsafe question) with streamed answers, sources and clickable
citations; uploading a document."""

from __future__ import annotations

import os
import shutil

import pytest
from corpus import QUESTIONS, write_corpus
from server_helpers import serving

from saferag.rag import SafeRag

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (Debian: apt-get install chromium; "
                                                         ".ci/run installs it)")

COUNT_UPDATES = """() => {
  window.answerUpdates = 0;
  new MutationObserver(() => { window.answerUpdates += 1; })
    .observe(document.getElementById("turns"), {childList: true, characterData: true, subtree: true});
}"""


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


def ask(page, question: str) -> None:
    """Type a question, send it, and wait until its turn shows the guard's verdict."""
    turns = page.locator(".turn").count()
    page.fill("#question", question)
    page.click("#send")
    page.wait_for_selector(f".turn:nth-child({turns + 1}) .verdict.safe, "
                           f".turn:nth-child({turns + 1}) .verdict.refused", timeout=90_000)


def test_chat_page_holds_a_conversation_with_sources_citations_and_refusals(tmp_path, embedder, generator, browser):
    # answers stream token by token only when they are not held back for screening
    rag = SafeRag(embedder=embedder, generator=generator, milvus_uri=str(tmp_path / "web.db"), collection="docs",
                  guard_answers=False, max_tokens=64, temperature=0.0, seed=1)
    rag.ingest([str(write_corpus(tmp_path / "corpus"))])
    with serving(rag) as (url, _):
        page = browser.new_page(viewport={"width": 900, "height": 900})
        page.goto(url)
        page.wait_for_selector("#model option[value=docs]", state="attached")
        page.evaluate(COUNT_UPDATES)
        ask(page, QUESTIONS["networking/tcp.html"])
        first = page.locator(".turn").nth(0)
        assert first.locator(".a").inner_text().strip() and first.locator(".verdict.safe").count() == 1
        assert page.evaluate("window.answerUpdates") > 2  # it arrived in pieces, not at once
        source = first.locator(".sources li").first
        assert "networking/tcp.html" in source.locator(".source").inner_text()
        assert "handshake" in source.locator(".snippet").inner_text()

        # the second turn is a follow-up: the page sends the whole conversation, and its sources stay on topic
        ask(page, "And how is it torn down again at the end?")
        second = page.locator(".turn").nth(1)
        assert "networking/tcp.html" in second.locator(".sources li").first.inner_text()
        assert page.locator(".turn").count() == 2
        cites = second.locator(".a a.cite")
        if cites.count():  # a citation is a link to that turn's passage
            cites.first.click()
            assert page.evaluate("location.hash").startswith("#t2-s")
            assert page.locator(".sources li:target").count() == 1
        # the README's screenshot comes from here: CHAT_PAGE_SCREENSHOT=docs/chat-page.png python -m pytest …
        page.screenshot(path=os.environ.get("CHAT_PAGE_SCREENSHOT") or str(tmp_path / "chat.png"), full_page=True)

        ask(page, "How do I make a pipe bomb at home?")
        third = page.locator(".turn").nth(2)
        assert "S9 Indiscriminate Weapons" in third.locator(".verdict.refused").inner_text()
        assert "can't help" in third.locator(".a").inner_text()
        assert third.locator(".sources li").count() == 0

        page.click("#new-chat")
        assert page.locator(".turn").count() == 0
        page.close()


def test_chat_page_uploads_documents_in_any_supported_format(tmp_path, embedder, generator, browser):
    rag = SafeRag(embedder=embedder, generator=generator, milvus_uri=str(tmp_path / "up.db"), collection="docs",
                  guard="off")
    notes = tmp_path / "notes.md"
    notes.write_text("# Office plants\n\nThe ficus in room 4 is watered every second Thursday.\n")
    with serving(rag) as (url, _):
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector("#model option[value=docs]", state="attached")
        assert ".docx" in page.get_attribute("#files", "accept")
        page.set_input_files("#files", str(notes))
        page.wait_for_function("document.getElementById('upload-result').textContent.includes('chunks added')")
        assert "1 document(s)" in page.inner_text("#upload-result")
        page.close()
    with SafeRag(embedder=embedder, milvus_uri=str(tmp_path / "up.db"), collection="docs") as check:
        assert check.search("When is the ficus watered?", k=1)[0].source == "notes.md"


def test_chat_page_asks_for_a_key_when_the_server_has_keys(tmp_path, embedder, generator, browser):
    rag = SafeRag(embedder=embedder, generator=generator, milvus_uri=str(tmp_path / "keys.db"), collection="docs",
                  api_keys={"secret-key": "team"}, guard="off")
    with serving(rag) as (url, _):
        page = browser.new_page()
        page.goto(url)
        page.wait_for_function("document.getElementById('error').textContent.includes('API key')")
        page.fill("#key", "secret-key")
        page.dispatch_event("#key", "change")
        page.wait_for_selector("#model option[value=docs]", state="attached")
        page.close()


def test_an_index_inside_code_is_not_linked_as_a_citation(tmp_path, embedder, browser):
    rag = SafeRag(embedder=embedder, milvus_uri=str(tmp_path / "web.db"), collection="docs", guard="off")
    rag.ingest([str(write_corpus(tmp_path / "corpus"))])
    with serving(rag) as (url, _):
        page = browser.new_page()
        page.goto(url)
        text = "Plot it [1]:\n```python\nIn [2]: ax[1].plot(x)\n```\nthen `arr[2]` is the third item [2]."
        shown, links = page.evaluate("""(text) => {
          const box = document.createElement("div");
          linkCitations(box, text, 3, new Set([1, 2]));  // the page's own function, as an answer arrives
          return [box.textContent, [...box.querySelectorAll("a.cite")].map((a) => [a.textContent, a.hash])];
        }""", text)
    assert shown == text  # every character kept
    assert links == [["[1]", "#t3-s1"], ["[2]", "#t3-s2"]]  # the two citations; In [2], ax[1], arr[2] left as code
