from saferag.prompts import SYSTEM, build_prompt
from saferag.types import Hit


def hit(source: str, text: str, score: float, **metadata) -> Hit:
    return Hit(text=text, source=source, score=score, chunk_index=0, metadata=metadata)


def test_contexts_best_last_and_sources_numbered_once():
    hits = [hit("a.md", "best passage", 0.9), hit("b.md", "second", 0.8), hit("a.md", "third, from a", 0.7)]
    p = build_prompt("What is it?", hits)
    assert p.sources == ["a.md", "b.md"]
    user = p.messages[1]["content"]
    assert user.index("[1] a.md\nthird, from a") < user.index("[2] b.md\nsecond") < user.index("[1] a.md\nbest passage")
    assert user.index("best passage") < user.index("Question: What is it?")
    assert p.messages[0] == {"role": "system", "content": SYSTEM}
    assert "[1]" in SYSTEM and "backticks" in SYSTEM and "do not contain the answer" in SYSTEM


def test_each_passage_is_headed_by_its_source_and_section_path():
    h = hit("shutil.html", "Recursively copy a directory tree.", 0.9,
            headings=["Directory and files operations", "shutil.copytree(src, dst)"], anchor="shutil.copytree")
    user = build_prompt("copy a tree?", [h]).messages[1]["content"]
    assert "[1] shutil.html › Directory and files operations › shutil.copytree(src, dst)\nRecursively copy" in user


def test_templates_can_be_overridden():
    p = build_prompt("q?", [hit("x.txt", "body", 1.0)], system="Be terse.", user="{question}|{sources}|{context}")
    assert p.messages[0]["content"] == "Be terse."
    assert p.messages[1]["content"] == "q?|[1] x.txt|[1] x.txt\nbody"


def test_no_hits_still_makes_a_prompt():
    p = build_prompt("q?", [])
    assert p.sources == [] and "(no documents matched)" in p.messages[1]["content"]


def test_a_system_template_can_hold_the_passages_and_keeps_literal_braces():
    p = build_prompt("What is it?", [hit("a.md", "the passage", 1.0)],
                     system='Answer from these (JSON like {"a": 1} stays):\n{context}', user="{question}")
    system, user = p.messages[0]["content"], p.messages[-1]["content"]
    assert "[1] a.md\nthe passage" in system and '{"a": 1}' in system and user == "What is it?"
