"""The relevance floor: a question the documents do not cover gets "not in the documents" with the closest
passages, never a generated answer; one they cover is answered; off by default. Real Milvus Lite, embedder and
llama.cpp model."""

from __future__ import annotations

from corpus import QUESTIONS
from test_safe_ask import Recording

from saferag.relevance import MINILM_FLOOR, NOT_FOUND

OFF_TOPIC = "What is the capital of France?"
BREAD = QUESTIONS["kitchen/sourdough.md"]  # its page's cosine: 0.42


def test_an_off_topic_question_is_not_generated_and_says_so(make_rag, corpus, generator):
    recording = Recording(generator)
    rag = make_rag(generator=recording, max_tokens=16, temperature=0.0, guard_answers=False,
                   relevance_floor=MINILM_FLOOR)
    rag.ingest([corpus])
    streamed: list[str] = []
    answer = rag.ask(OFF_TOPIC, on_token=streamed.append)
    assert answer.not_found and answer.answer == NOT_FOUND and "".join(streamed) == NOT_FOUND
    assert recording.prompts == [] and not answer.refused  # nothing generated; not a safety refusal
    assert answer.sources and [s["citation"] for s in answer.sources] == list(range(1, len(answer.sources) + 1))
    assert any("relevance floor 0.40" in n for n in answer.notes)

    covered = rag.ask(BREAD)  # over the floor: answered
    assert not covered.not_found and len(recording.prompts) == 1


def test_off_by_default_and_bm25_has_no_cosine_to_judge_by(make_rag, corpus, generator):
    recording = Recording(generator)
    rag = make_rag(generator=recording, max_tokens=8, temperature=0.0, guard_answers=False)
    rag.ingest([corpus])
    assert not rag.ask(OFF_TOPIC).not_found and len(recording.prompts) == 1
    strict = make_rag(generator=recording, max_tokens=8, guard_answers=False, relevance_floor=0.9)
    assert strict.ask(BREAD).not_found
    assert not strict.ask(BREAD, mode="bm25").not_found


def test_follow_ups_are_left_to_the_model(make_rag, corpus, generator):
    recording = Recording(generator)
    rag = make_rag(generator=recording, max_tokens=8, temperature=0.0, guard_answers=False,
                   relevance_floor=MINILM_FLOOR)
    rag.ingest([corpus])
    messages = [{"role": "user", "content": BREAD},
                {"role": "assistant", "content": "Use a sourdough starter [1]."},
                {"role": "user", "content": "And what is the capital of France?"}]
    assert not rag.chat(messages).not_found
