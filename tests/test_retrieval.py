"""Hybrid fusion and the per-source cap: the functions on known lists, and through SafeRag on Milvus Lite."""

import numpy as np
import pytest
from corpus import QUESTIONS

from saferag.errors import SafeRagError
from saferag.retrieval import Fusion, SearchQuery, blended, collapse_copies, diversify, fuse, interleave
from saferag.types import Hit


def hits(*names: str, scores: list[float] | None = None) -> list[Hit]:
    scores = scores or [1.0 - i / 10 for i in range(len(names))]
    return [Hit(text=n, source=n.split("#")[0], score=s, chunk_index=int(n.split("#")[1]) if "#" in n else 0)
            for n, s in zip(names, scores, strict=True)]


def order(result: list[Hit]) -> list[str]:
    return [f"{h.source}#{h.chunk_index}" for h in result]


@pytest.mark.parametrize("kind", ["rrf", "convex"])
def test_a_leg_with_all_the_weight_decides_the_order(kind):
    dense, bm25 = hits("a#0", "b#0", "c#0"), hits("c#0", "d#0", "a#0")
    assert order(fuse(dense, bm25, Fusion(kind=kind, dense_weight=1.0)))[:3] == ["a#0", "b#0", "c#0"]
    assert order(fuse(dense, bm25, Fusion(kind=kind, dense_weight=0.0)))[:3] == ["c#0", "d#0", "a#0"]


def test_rrf_weights_shift_the_ranking_between_legs():
    dense, bm25 = hits("a#0", "b#0", "c#0"), hits("b#0", "c#0", "a#0")
    assert order(fuse(dense, bm25, Fusion(dense_weight=0.5)))[0] == "b#0"  # 1st + 1st-ish beats 1st + 3rd
    assert order(fuse(dense, bm25, Fusion(dense_weight=0.9)))[0] == "a#0"


def test_convex_fusion_uses_score_gaps_not_only_ranks():
    # dense is nearly tied between a and b, BM25 strongly prefers b: the gap decides
    dense = hits("a#0", "b#0", "c#0", scores=[0.80, 0.79, 0.10])
    bm25 = hits("b#0", "a#0", "c#0", scores=[20.0, 2.0, 1.0])
    fused = fuse(dense, bm25, Fusion(kind="convex", dense_weight=0.7))
    assert order(fused)[0] == "b#0" and fused[0].score > fused[1].score


def test_a_chunk_in_both_legs_is_listed_once():
    fused = fuse(hits("a#0", "b#0"), hits("a#0", "c#0"), Fusion())
    assert sorted(order(fused)) == ["a#0", "b#0", "c#0"]


def test_diversify_caps_each_source_and_keeps_order():
    ranked = hits("a#0", "a#1", "a#2", "b#0", "a#3", "c#0", "b#1")
    assert order(diversify(ranked, 4, 2)) == ["a#0", "a#1", "b#0", "c#0"]
    assert order(diversify(ranked, 4, 0)) == ["a#0", "a#1", "a#2", "b#0"]  # 0: no cap


def test_diversify_refills_from_the_capped_when_too_few_sources():
    ranked = hits("a#0", "a#1", "a#2", "b#0")
    assert order(diversify(ranked, 4, 1)) == ["a#0", "a#1", "a#2", "b#0"]
    assert order(diversify(ranked, 3, 1)) == ["a#0", "a#1", "b#0"]


def test_diversify_counts_a_pdf_by_section_and_other_kinds_by_source():
    def hit(i: int, source: str, kind: str, *path: str) -> Hit:
        return Hit(text=f"{source}{i}", source=source, score=1 - i / 10, chunk_index=i,
                   metadata={"kind": kind, "headings": list(path)})

    ranked = [hit(0, "m.pdf", "pdf", "Warnings", "Issuing"), hit(1, "m.pdf", "pdf", "Warnings", "Issuing"),
              hit(2, "m.pdf", "pdf", "Warnings", "Enabling"), hit(3, "m.pdf", "pdf"),  # a PDF without bookmarks
              hit(4, "p.html", "html", "Intro"), hit(5, "p.html", "html", "Usage"), hit(6, "m.pdf", "pdf"),
              hit(7, "q.docx", "docx", "A"), hit(8, "q.docx", "docx", "B")]
    assert [h.chunk_index for h in diversify(ranked, 5, 1)] == [0, 2, 3, 4, 7]


def test_a_pdfs_minor_headings_name_its_section_but_are_no_place_of_their_own():
    def hit(i: int, *path: str, depth: int | None = None) -> Hit:
        meta = {"kind": "pdf", "headings": list(path), **({"section_depth": depth} if depth is not None else {})}
        return Hit(text=f"m{i}", source="m.pdf", score=1 - i / 10, chunk_index=i, metadata=meta)

    # Rule P6: "Issuing" and "Enabling" are bold body-size lines (minor) under the chapter "Warnings"
    ranked = [hit(0, "Warnings", "Issuing", depth=1), hit(1, "Warnings", "Enabling", depth=1),
              hit(2, "Warnings"), hit(3, "Options", "Verbose", depth=1), hit(4, "Options", "Quiet", depth=1)]
    assert [h.chunk_index for h in diversify(ranked, 2, 1)] == [0, 3]
    assert [h.chunk_index for h in diversify(ranked, 2, 0)] == [0, 1]
    unmarked = [hit(0, "Warnings", "Issuing"), hit(1, "Warnings", "Enabling"), hit(2, "Options", "Verbose")]
    assert [h.chunk_index for h in diversify(unmarked, 2, 1)] == [0, 1]  # bookmarks and larger type: as before


def test_queries_interleave_best_first_each_chunk_once():
    one = hits("a#0", "b#0", "c#0")
    assert interleave([one]) == one
    mixed = interleave([hits("a#0", "b#0", "c#0"), hits("d#0", "c#0", "a#0"), hits("a#0", "e#0")])
    assert order(mixed) == ["a#0", "d#0", "b#0", "c#0", "e#0"]
    assert interleave([[], hits("a#0")]) == hits("a#0")


def test_copies_of_a_passage_keep_one_place_and_the_focused_page():
    ranked = hits("all#900", "fs#12", "b#0", "all#901", "c#3", scores=[0.9, 0.9, 0.8, 0.7, 0.6])
    texts = ["Streams read 64 KiB.", "Streams  read\n64 KiB.", "other", "Stat a file.", "Stat a file."]
    ranked = [Hit(text=t, source=h.source, score=h.score, chunk_index=h.chunk_index)
              for h, t in zip(ranked, texts, strict=True)]
    collapsed = collapse_copies(ranked)
    # one place per text, at its best place; the copy earliest in its document takes it, with the best score
    assert order(collapsed) == ["fs#12", "b#0", "c#3"]
    assert [h.score for h in collapsed] == [0.9, 0.8, 0.7]
    assert collapse_copies(hits("a#0", "b#0")) == hits("a#0", "b#0")  # different texts: unchanged


def test_an_aggregate_page_does_not_crowd_out_the_page_it_copies(make_rag, tmp_path):
    docs = tmp_path / "api"
    docs.mkdir()
    sections = {
        "fs": ("File system", "Read a large file in pieces with fs.createReadStream(); its highWaterMark option "
               "sets how many bytes each chunk holds, 64 KiB by default."),
        "dns": ("DNS", "Resolve a host name to its addresses with dns.lookup(), which uses the operating "
                "system's resolver and honours the hosts file."),
        "zlib": ("Zlib", "Compress a stream with zlib.createGzip() and pipe the file stream through it to "
                 "write a gzip file."),
    }
    for name, (title, text) in sections.items():
        (docs / f"{name}.html").write_text(f"<html><body><h1>{title}</h1><p>{text}</p></body></html>")
    # Like Node.js's all.html: every page again, one after another, in one long document (fs last)
    (docs / "all.html").write_text("<html><body>" + "".join(
        f"<h1>{sections[name][0]}</h1><p>{sections[name][1]}</p>" for name in ("dns", "zlib", "fs")) + "</body></html>")
    rag = make_rag(chunk_size=200, chunk_overlap=20)  # a section a chunk, as in the real pages
    rag.ingest([str(docs)])
    for mode in ("hybrid", "dense", "bm25"):
        found = rag.search("How do I set the chunk size of a file read stream?", k=3, mode=mode)
        assert found[0].source == "fs.html", mode
        assert len({" ".join(h.text.split()) for h in found}) == len(found), mode  # no passage twice


@pytest.fixture
def loaded(make_rag, corpus):
    rag = make_rag()
    rag.ingest([str(corpus)])
    return rag


def test_fusion_and_cap_come_from_settings(loaded):
    q = QUESTIONS["kitchen/sourdough.md"]
    loaded.settings = loaded.settings.model_copy(update={"dense_weight": 1.0, "max_per_source": 0})
    dense = loaded.search(q, k=4, mode="dense")  # uncapped, like the hybrid search it is compared with
    assert [(h.source, h.chunk_index) for h in loaded.search(q, k=4)] == \
        [(h.source, h.chunk_index) for h in dense]
    loaded.settings = loaded.settings.model_copy(update={"dense_weight": 0.0})
    bm25 = loaded.search(q, k=4, mode="bm25")  # may match fewer than 4 chunks; the dense leg fills in after them
    assert bm25 and [(h.source, h.chunk_index) for h in loaded.search(q, k=4)][:len(bm25)] == \
        [(h.source, h.chunk_index) for h in bm25]
    loaded.settings = loaded.settings.model_copy(update={"dense_weight": 0.5, "max_per_source": 1})
    for mode in ("hybrid", "dense"):
        capped = loaded.search(q, k=4, mode=mode)
        assert len(capped) == 4 and len({h.source for h in capped}) == 4, mode
    # a filter down to one source: the cap gives way rather than return fewer than k
    one = loaded.search("sourdough starter", k=2, mode="dense", filter='source == "kitchen/sourdough.md"')
    assert len(one) == 2 and {h.source for h in one} == {"kitchen/sourdough.md"}


def test_search_all_finds_what_each_query_finds(loaded):
    tcp, compost = QUESTIONS["networking/tcp.html"], QUESTIONS["garden/compost.md"]
    assert [h.source for h in loaded.search_all([tcp])] == [h.source for h in loaded.search(tcp)]
    both = [h.source for h in loaded.search_all([tcp, compost], k=2)]  # each query's best, in the query order
    assert both == [loaded.search(tcp, k=1)[0].source, loaded.search(compost, k=1)[0].source]
    assert both == ["networking/tcp.html", "garden/compost.md"]
    with pytest.raises(SafeRagError, match="empty"):
        loaded.search_all(["", "  "])


def test_a_blended_vector_is_the_normalized_weighted_sum():
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    assert np.allclose(blended([a, b], [1.0, 1.0]), [2 ** -0.5, 2 ** -0.5])
    assert np.allclose(blended([a, b], [1.0, 0.0]), a)


def test_a_follow_up_blend_finds_the_page_the_conversation_is_about(loaded):
    """"How long does that take?" says nothing of compost: the blend of the earlier turn and answer does."""
    question = QUESTIONS["garden/compost.md"]
    answer = loaded.search(question, k=1)[0].text
    follow_up = "How long does that take?"
    blend = ((follow_up, 1.0), (question, 0.5), (answer[:300], 0.5))
    for mode in ("hybrid", "dense"):
        assert loaded.search(follow_up, k=1, mode=mode)[0].source != "garden/compost.md"  # the message alone
        assert loaded.search_all([SearchQuery(follow_up, blend)], k=1, mode=mode)[0].source == "garden/compost.md"
    # the dense leg reads the blend and never the text; the keyword leg reads the text alone
    volcano = "magma lava volcano eruption"
    assert loaded.search(volcano, k=1, mode="bm25")[0].source == "geology/volcanoes.html"
    assert loaded.search_all([SearchQuery(volcano, blend)], k=1, mode="dense")[0].source == "garden/compost.md"
    assert [(h.source, h.chunk_index) for h in loaded.search_all([SearchQuery(volcano, blend)], k=3, mode="bm25")] \
        == [(h.source, h.chunk_index) for h in loaded.search(volcano, k=3, mode="bm25")]
