"""Script classes of characters, as word processors size them (``ingest/formats/scripts.py``)."""

from __future__ import annotations

import pytest

from saferag.ingest.formats.scripts import ASIAN, COMPLEX, WESTERN, class_counts, classes, only_western


@pytest.mark.parametrize("text, expected", [
    ("Setup", [WESTERN] * 5),
    ("Ελλάδα и Россия", [WESTERN] * 15),  # Greek and Cyrillic are Western
    ("中文", [ASIAN] * 2), ("かなカナ한글", [ASIAN] * 6),
    ("שלום", [COMPLEX] * 4), ("नमस्ते", [COMPLEX] * 6), ("สวัสดี", [COMPLEX] * 6),
    ("1. 中文", [ASIAN] * 5),  # no script at the start: the class of the text after
    ("中文 12。", [ASIAN] * 6),  # no script after Chinese: Chinese's
    ("第1章 Setup", [ASIAN] * 4 + [WESTERN] * 5),
    ("a 2 مرحبا", [WESTERN] * 4 + [COMPLEX] * 5),
    ("12 — 34", [WESTERN] * 7), ("", []),
])
def test_each_character_s_class(text, expected):
    assert classes(text) == expected


def test_only_western():
    assert only_western("Résumé, Straße — 12 €") and not only_western("see 中文") and not only_western("مرحبا")


def test_class_counts_per_piece_leave_out_white_space_and_follow_neighbouring_pieces():
    assert class_counts(["Set up ", "the port"]) == [[5, 0, 0], [7, 0, 0]]
    assert class_counts(["第", "1 ", "章 Setup"]) == [[0, 1, 0], [0, 1, 0], [5, 1, 0]]  # "1" takes "第"'s class
    assert class_counts(["مرحبا", " 2"]) == [[0, 0, 5], [0, 0, 1]]
