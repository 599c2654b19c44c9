"""A small corpus the tests write to disk: one topic per document, in every supported format.

Each topic comes with a question that paraphrases it (few shared keywords), so a hit shows
that retrieval works by meaning and not only by word overlap.
"""

from __future__ import annotations

from pathlib import Path

TOPICS: dict[str, tuple[str, list[str]]] = {
    "geology/volcanoes.html": ("Volcanoes", [
        "A volcano is an opening in the crust of a planet through which molten rock, ash and gases "
        "escape from below the surface. When magma rises and erupts it is called lava.",
        "Stratovolcanoes such as Mount Fuji build steep cones from alternating layers of hardened "
        "lava and volcanic ash. Their eruptions are often explosive because their magma is viscous "
        "and traps gas until the pressure is released all at once.",
        "Shield volcanoes like Mauna Loa in Hawaii have gentle slopes formed by runny basaltic lava "
        "that flows for many kilometres before it cools and solidifies into new rock.",
    ]),
    "kitchen/sourdough.md": ("Sourdough bread", [
        "Sourdough is bread leavened by a starter: a fermented mixture of flour and water that "
        "hosts wild yeast and lactic acid bacteria instead of commercial baker's yeast.",
        "To keep a starter alive, discard half of it every day and feed it fresh flour and water. "
        "After a week it doubles in size within a few hours of feeding and is ready to bake with.",
        "The dough rises slowly, over eight to twelve hours, which develops the tangy flavour and "
        "the open crumb that sourdough loaves are known for. Bake in a preheated covered pot.",
    ]),
    "space/jupiter.txt": ("Jupiter", [
        "Jupiter is the fifth planet from the Sun and the largest in the solar system, a gas giant "
        "made mostly of hydrogen and helium with a mass more than twice that of all other planets.",
        "It has at least ninety-five known moons. The four largest, Io, Europa, Ganymede and "
        "Callisto, were discovered by Galileo Galilei in 1610 with one of the first telescopes.",
        "The Great Red Spot is a storm larger than Earth that has raged in Jupiter's southern "
        "hemisphere for at least three hundred and fifty years.",
    ]),
    "manuals/bicycle.pdf": ("Bicycle care", [
        "Clean the chain of your bicycle every few hundred kilometres with a degreaser and a brush, "
        "then dry it with a rag before you apply lubricant.",
        "Put one drop of chain oil on each roller while turning the pedals backwards, wait a few "
        "minutes, and wipe off the excess so it does not collect dirt.",
        "Check tyre pressure weekly: the recommended range is printed on the sidewall. Replace brake "
        "pads when the grooves in the rubber are worn away.",
    ]),
    "networking/tcp.html": ("TCP handshake", [
        "Before two hosts exchange data over TCP they perform a three-way handshake: the client sends "
        "a SYN segment, the server answers with SYN-ACK, and the client confirms with an ACK.",
        "The handshake lets both sides agree on initial sequence numbers, which TCP uses to put "
        "segments back in order and to retransmit any that were lost, making delivery reliable.",
        "A connection is closed with a four-way exchange of FIN and ACK segments, one pair for each "
        "direction of the stream.",
    ]),
    "garden/compost.md": ("Composting", [
        "Composting turns kitchen scraps such as vegetable peelings, coffee grounds and eggshells, "
        "together with garden waste, into dark crumbly humus that feeds the soil.",
        "Mix green material rich in nitrogen with brown material rich in carbon, such as dry leaves "
        "or cardboard, keep the heap as moist as a wrung-out sponge and turn it every few weeks.",
        "After three to six months the finished compost can be dug into vegetable beds or spread "
        "around plants as a mulch that keeps moisture in.",
    ]),
}

QUESTIONS: dict[str, str] = {
    "geology/volcanoes.html": "What comes out of a mountain when melted stone reaches the surface?",
    "kitchen/sourdough.md": "How do I get my loaf to rise naturally without store-bought yeast?",
    "space/jupiter.txt": "Which planet has satellites that Galileo spotted in the seventeenth century?",
    "manuals/bicycle.pdf": "How should I oil and clean my bike's drive train?",
    "networking/tcp.html": "How do two computers set up a dependable link before they send data?",
    "garden/compost.md": "What can I do with leftover food peelings to enrich my garden?",
}

_NAV = ("<nav><ul><li><a href='/'>Home</a></li><li><a href='/about'>About us</a></li>"
        "<li><a href='/shop'>Shop our store</a></li></ul></nav>")


def html_page(title: str, paragraphs: list[str]) -> str:
    """An HTML page with real boilerplate around the article: nav, script, style, footer."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
            "<style>body{font-family:sans-serif}</style><script>var tracking = 'analytics';</script>"
            f"</head><body><header>{_NAV}</header><main><article><h1>{title}</h1>{body}</article></main>"
            "<footer><p>Copyright 2026 Example Corp. All rights reserved. Cookie policy.</p></footer>"
            "</body></html>")


def pdf_bytes(title: str, paragraphs: list[str]) -> bytes:
    """A real PDF with a text layer, one page per paragraph, made with fpdf2."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_font("Helvetica", size=11)
    for p in paragraphs:
        pdf.add_page()
        pdf.multi_cell(0, 6, p)
    return bytes(pdf.output())


def render(path: str, title: str, paragraphs: list[str]) -> bytes:
    if path.endswith(".html"):
        return html_page(title, paragraphs).encode()
    if path.endswith(".md"):
        return (f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n").encode()
    if path.endswith(".pdf"):
        return pdf_bytes(title, paragraphs)
    return (title + "\n\n" + "\n\n".join(paragraphs) + "\n").encode()


def write_corpus(root: Path, topics: dict[str, tuple[str, list[str]]] = TOPICS) -> Path:
    """Write every topic under ``root`` and return ``root``."""
    for rel, (title, paragraphs) in topics.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render(rel, title, paragraphs))
    return root
