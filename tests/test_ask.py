"""`SafeRag.ask` and `saferag ask`: real retrieval over Milvus Lite, real llama.cpp generation."""

import json
import re

import pytest
from corpus import QUESTIONS
from test_cli import run

from saferag.llm import SamplingParams


@pytest.fixture
def asker(make_rag, corpus, generator):
    # answers unscreened, so they stream token by token (a screened answer arrives in one piece)
    rag = make_rag(generator=generator, temperature=0.0, max_tokens=96, seed=1, guard_answers=False)
    rag.ingest([str(corpus)])
    return rag


def test_answer_comes_back_grounded_with_numbered_sources(make_rag, corpus, default_generator):
    """The default model cites the passages it was given (SmolLM2 does in about half of these answers)."""
    rag = make_rag(generator=default_generator, temperature=0.0, max_tokens=96, seed=1, guard_answers=False)
    rag.ingest([str(corpus)])
    a = rag.ask(QUESTIONS["networking/tcp.html"], k=3)
    assert a.answer
    assert a.sources[0]["source"] == "networking/tcp.html" and a.sources[0]["citation"] == 1
    assert {"source", "text", "score", "citation"} <= a.sources[0].keys()
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", a.answer)}
    assert cited and cited <= {s["citation"] for s in a.sources}, a.answer  # cites only what it was given
    assert 0 < a.timings["retrieval"] < a.timings["total"] and a.timings["generation"] > 0
    assert not a.notes


def test_a_copied_passage_label_is_shown_as_a_pointer_whole_and_streamed(make_rag, corpus, default_generator):
    """The default model opens its answer to this question with "[1] networking/tcp.html" on a line of its own
    (it does so on all six test questions): shown as "From networking/tcp.html [1]:", streamed or not."""
    rag = make_rag(generator=default_generator, temperature=0.0, max_tokens=48, seed=1, guard_answers=False)
    rag.ingest([str(corpus)])
    whole = rag.ask(QUESTIONS["networking/tcp.html"], k=3)
    pieces: list[str] = []
    streamed = rag.ask(QUESTIONS["networking/tcp.html"], k=3, on_token=pieces.append)
    assert whole.answer.startswith("From networking/tcp.html [1]:\n"), whole.answer
    assert "".join(pieces).strip() == streamed.answer == whole.answer


def test_an_answer_that_is_only_a_label_quotes_its_passage(make_rag, corpus, default_generator):
    """Cut after its copied label (as a fifth of the default model's answers end there), an answer shows the
    opening of the passage it points to, as a quote with a note; streamed the same."""
    rag = make_rag(generator=default_generator, temperature=0.0, seed=1, guard_answers=False)
    rag.ingest([str(corpus)])
    question = QUESTIONS["networking/tcp.html"]
    for tokens in range(4, 16):  # the label's length in tokens
        params = SamplingParams(temperature=0.0, max_tokens=tokens, seed=1)
        whole = rag.ask(question, k=3, params=params)
        if whole.notes:
            break
    assert whole.answer.startswith("From networking/tcp.html [1]:\n> "), whole.answer
    quote = whole.answer.split("\n> ", 1)[1]
    assert quote[:40] in " ".join(whole.sources[0]["text"].split())  # from the passage it points to
    assert whole.notes == ["the model only pointed to a passage; its opening is quoted"]
    pieces: list[str] = []
    streamed = rag.ask(question, k=3, params=params, on_token=pieces.append)
    assert "".join(pieces) == streamed.answer == whole.answer
    rag.settings = rag.settings.model_copy(update={"quote_pointers": False})
    assert rag.ask(question, k=3, params=params).answer == "See networking/tcp.html [1]."


def test_streamed_pieces_make_the_answer(asker):
    pieces: list[str] = []
    a = asker.ask(QUESTIONS["kitchen/sourdough.md"], k=2, on_token=pieces.append)
    assert len(pieces) > 1 and "".join(pieces).strip() == a.answer


def test_passages_are_trimmed_to_fit_the_context_window_least_relevant_first(asker):
    gen = asker.generator
    full = asker.ask(QUESTIONS["space/jupiter.txt"], k=6)
    window = gen.context_window
    try:  # pretend the model has a small window: the prompt must shrink, best passages kept
        gen.context_window = 96 + 330
        trimmed = asker.ask(QUESTIONS["space/jupiter.txt"], k=6)
    finally:
        gen.context_window = window
    assert 0 < len(trimmed.sources) < len(full.sources)
    assert [s["text"] for s in trimmed.sources] == [s["text"] for s in full.sources[: len(trimmed.sources)]]
    assert "dropped the" in trimmed.notes[0] and "426-token context window" in trimmed.notes[0]


def test_an_answer_reads_answer_k_passages_while_search_returns_top_k(asker):
    question = QUESTIONS["networking/tcp.html"]
    assert (asker.settings.answer_k, asker.settings.top_k) == (3, 5)
    assert len(asker.search(question)) == 5
    assert len(asker.ask(question).sources) == 3  # with max_per_source = 1, one passage per source
    asker.settings = asker.settings.model_copy(update={"answer_k": 2})
    assert len(asker.ask(question).sources) == 2 and len(asker.ask(question, k=4).sources) == 4


@pytest.mark.slow
def test_cli_ask_json_and_stream(corpus, tmp_path):
    db = ["--uri", str(tmp_path / "ask.db")]
    run("ingest", str(corpus), *db, cwd=tmp_path)
    res = json.loads(run("ask", QUESTIONS["garden/compost.md"], "-k", "2", *db, "--json", cwd=tmp_path).stdout)
    assert res["answer"] and res["sources"][0]["source"] == "garden/compost.md"
    assert {"source", "text", "score"} <= res["sources"][0].keys()
    assert set(res["timings"]) == {"retrieval", "generation", "question_guard", "answer_guard", "total"}
    streamed = run("ask", QUESTIONS["garden/compost.md"], "-k", "2", "--stream", *db, cwd=tmp_path).stdout
    assert "Sources\n  [1] garden/compost.md" in streamed
    # without -k an answer reads answer_k passages (one per source here: max_per_source = 1)
    res = json.loads(run("ask", QUESTIONS["garden/compost.md"], *db, "--json", cwd=tmp_path).stdout)
    assert len(res["sources"]) == 3
    res = json.loads(run("ask", QUESTIONS["garden/compost.md"], *db, "--json", cwd=tmp_path,
                         extra_env={"SAFERAG_ANSWER_K": "2"}).stdout)
    assert len(res["sources"]) == 2
