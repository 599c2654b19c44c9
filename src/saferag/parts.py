"""Models that ship split over several wheels (PyPI caps a file's size): the parts joined in order, checked against
a recorded SHA-256, and only then put where they are loaded from, so nothing half-written or altered is ever used.

Written by hand because no library joins and checks split wheel payloads; the steps are few and each one must
leave nothing behind when it fails (a full disk, a killed process, a part from another version).
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Sequence
from pathlib import Path

from saferag.cache import written_whole
from saferag.errors import SafeRagError


def join_checked(parts: Sequence[Path], target: Path, sha256: str, *, error: type[SafeRagError],
                 what: str, reinstall: str) -> Path:
    """Concatenate ``parts`` into ``target``, hashing as they are written; renamed into place only when the hash is
    ``sha256``. ``error`` is raised with a message naming ``what`` and what to ``reinstall``."""
    digest = hashlib.sha256()
    try:
        with written_whole(target) as partial, partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(1 << 22):
                        digest.update(block)
                        out.write(block)
            if digest.hexdigest() != sha256:
                raise error(f"the parts of {what} join to a file with SHA-256 {digest.hexdigest()}, not the "
                            f"expected {sha256}: reinstall {reinstall} at the versions saferag pins")
    except OSError as exc:
        raise error(f"cannot write {what} to {target.parent}: {exc.strerror or exc} "
                    "(set SAFERAG_CACHE_DIR to a writable folder)") from None
    return target


def unzip_checked(parts: Sequence[Path], folder: Path, sha256: str, *, error: type[SafeRagError], what: str,
                  reinstall: str) -> Path:
    """A zip split over ``parts``, checked (``join_checked``) and extracted to ``folder``: extracted beside and
    renamed into place whole, the joined zip removed after. Members that would land outside ``folder`` are
    refused."""
    if folder.is_dir():
        return folder
    try:
        with written_whole(folder) as work:
            archive = work.with_name(f"{work.name}.zip")
            try:
                join_checked(parts, archive, sha256, error=error, what=what, reinstall=reinstall)
                with zipfile.ZipFile(archive) as z:
                    for name in z.namelist():
                        if name.startswith("/") or ".." in Path(name).parts:
                            raise error(f"{what} holds a file outside its folder ({name!r}): not extracted")
                    z.extractall(work)
            finally:
                archive.unlink(missing_ok=True)
    except (OSError, zipfile.BadZipFile) as exc:
        if isinstance(exc, OSError) and folder.is_dir():  # another process extracted it first
            return folder
        raise error(f"cannot extract {what} to {folder.parent}: {exc} "
                    "(set SAFERAG_CACHE_DIR to a writable folder)") from None
    return folder
