"""Verdicts survive the trip through an Answer's dict, and read the same everywhere."""

from saferag.guard import Category, Verdict


def test_from_dict_round_trips_and_describes_the_same():
    v = Verdict(safe=False, categories=[Category.of("S9"), Category.of("S1")], raw="unsafe\nS9,S1",
                latency=0.01, role="agent", guard="llama_guard", excluded=[Category.of("S6")])
    back = Verdict.from_dict(v.to_dict())
    assert back == v
    assert back.describe() == "unsafe: S9 Indiscriminate Weapons, S1 Violent Crimes"
    failed = Verdict(safe=False, error="no verdict within 30s")
    assert Verdict.from_dict(failed.to_dict()).describe() == "guard failed (no verdict within 30s); refused"
