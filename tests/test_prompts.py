from saferag.prompts import SYSTEM, build_prompt
from saferag.store import Hit


def hit(source: str, text: str, score: float) -> Hit:
    return Hit(text=text, source=source, score=score, chunk_index=0)


def test_contexts_best_last_and_sources_numbered_once():
    hits = [hit("a.md", "best passage", 0.9), hit("b.md", "second", 0.8), hit("a.md", "third, from a", 0.7)]
    p = build_prompt("What is it?", hits)
    assert p.sources == ["a.md", "b.md"]
    user = p.messages[1]["content"]
    assert user.index("[1] third, from a") < user.index("[2] second") < user.index("[1] best passage")
    assert user.index("[1] best passage") < user.index("Question: What is it?")
    assert "Sources:\n[1] a.md\n[2] b.md" in user
    assert p.messages[0] == {"role": "system", "content": SYSTEM}
    assert "relevant" in SYSTEM and "[1]" in SYSTEM


def test_templates_can_be_overridden():
    p = build_prompt("q?", [hit("x.txt", "body", 1.0)], system="Be terse.", user="{question}|{sources}|{context}")
    assert p.messages[0]["content"] == "Be terse."
    assert p.messages[1]["content"] == "q?|[1] x.txt|[1] body"


def test_no_hits_still_makes_a_prompt():
    p = build_prompt("q?", [])
    assert p.sources == [] and "(no documents matched)" in p.messages[1]["content"]
