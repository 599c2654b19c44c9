"""Where saferag's own documentation lives, for ``saferag demo`` (no network, no extra files)."""

from __future__ import annotations

from pathlib import Path

from saferag.errors import SafeRagError

#: The developers' pages among the docs: the logs of what each session measured (full of figures, rewritten most weeks)
#: and the code map. The demo answers from the user documentation only, so its answer does not move with every new
#: measurement (an added benchmarks paragraph once turned the sample answer into a list of citations), and its sample
#: question is answered in the README's words rather than by a row of the code map.
#: A block list: a new developers' page in docs/ joins the demo until it is named here.
DEVELOPER_PAGES = frozenset({"benchmarks.md", "status.md", "architecture.md"})


def demo_docs() -> Path:
    """The docs folder: packaged in the wheel as ``saferag/_docs``, or the checkout's ``docs/``."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_docs", here.parents[1] / "docs"):
        if candidate.is_dir() and any(candidate.glob("*.md")):
            return candidate
    raise SafeRagError("saferag's documentation is not installed with this package; "
                       "reinstall saferag, or ingest a folder of your own")


def demo_files() -> list[Path]:
    """What ``saferag demo`` ingests: the README and the user documentation, without the developers' pages."""
    folder = demo_docs()
    readme = next((p for p in (folder / "README.md", folder.parent / "README.md") if p.is_file()), None)
    pages = sorted(p for p in folder.glob("*.md") if p.name not in DEVELOPER_PAGES and p.name != "README.md")
    return [readme, *pages] if readme else pages
