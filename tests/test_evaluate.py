"""What the answer report card counts as a citation (``saferag eval answers``)."""

from __future__ import annotations

from saferag.evaluate import cited


def test_indexes_in_code_are_not_citations():
    answer = ("Use `%cd` as in the notebook [2]:\n\n```ipython\nIn [16]: %cd ..\nax[1].plot(x)\n```\n\n"
              "Then `arr[3]` is the fourth item, see [1] and [3].")
    assert cited(answer) == [2, 1, 3]
    assert cited("Unclosed block [1]:\n```python\nx[5] = 0") == [1]  # a block the model never closed runs to the end
    assert cited("~~~\nrows[2]\n~~~\nNothing cited.") == []
