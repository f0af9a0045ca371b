"""Built knowledge bases on disk, keyed by what they were built from.

Repairing, splitting and indexing is the slow part of a start or a reload (seconds at
100,000 passages); loading the result is not. An entry is keyed by the sources' hashes and a
fingerprint of the pipeline itself (its code and word lists), so editing a document or
upgrading the bot builds afresh, while a restart or a reload of unchanged files, in any
worker, reads what the first build wrote. Entries are written to a temporary folder and
renamed into place, so a reader never sees half of one; a damaged entry is rebuilt.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import jieba

from knowledge.index import BM25Index
from knowledge.model import Document, Passage

FORMAT = 3
KEEP = 3  # entries kept: the serving one and a couple to switch back to
PIPELINE_FILES = ("*.py", "terms.txt", "stopwords.txt", "titles.txt", "surnames.txt")
ENTRY_FILES = ("meta.json", "index.npz")  # what an entry is made of, and all a packed one holds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Built:
    """What a build computes from the documents; the tokenizer is rebuilt from ``words``."""

    passages: list[Passage]
    words: list[str]  # user dictionary words found in the knowledge
    names: list[str]  # those of them that are people's names
    index: BM25Index
    warnings: list[str]
    roles: dict[str, list[str]]  # each person's roles as the documents word them
    # what served it: the documents (without their text) and the synonym file, so that a
    # worker can serve this build by its key without reading the folder again
    documents: list[Document] = field(default_factory=list)
    synonyms_text: str = ""
    synonyms_sha256: str = ""  # of the file as it was on disk (part of the version)
    persona_text: str = ""  # the folder's persona.toml, as the synonym file
    persona_sha256: str = ""


@functools.cache
def pipeline_fingerprint() -> str:
    """A hash of everything besides the sources that decides what a build produces."""
    digest = hashlib.sha256(f"format {FORMAT} jieba {jieba.__version__}".encode())
    folder = Path(__file__).parent
    for pattern in PIPELINE_FILES:
        for path in sorted(folder.glob(pattern)):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def cache_key(
    documents: Sequence[Document], synonyms_sha256: str = "", persona_sha256: str = ""
) -> str:
    """The build's key: the pipeline, the documents, the synonym file (whose words join
    the tokenizer's dictionary, so they change how every passage is cut) and the persona
    (a worker serving a build by its key serves its words too)."""
    persona = f"\0{persona_sha256}" if persona_sha256 else ""
    digest = hashlib.sha256(f"{pipeline_fingerprint()}\0{synonyms_sha256}{persona}".encode())
    for document in documents:
        digest.update(f"\n{document.name}\0{document.sha256}".encode())
    return digest.hexdigest()[:32]


class BuildCache:
    def __init__(self, root: str | Path, keep: int = KEEP) -> None:
        self.root = Path(root)
        self.keep = keep

    def load(self, key: str) -> Built | None:
        entry = self.root / key
        if not entry.is_dir():
            return None
        try:
            meta = json.loads((entry / "meta.json").read_text("utf-8"))
            passages = [Passage(**p) for p in meta["passages"]]
            index = BM25Index.load(entry / "index.npz")
            if len(index) != len(passages):
                raise ValueError("index and passages disagree")
            built = Built(
                passages,
                list(meta["words"]),
                list(meta["names"]),
                index,
                list(meta["warnings"]),
                {str(k): list(v) for k, v in meta["roles"].items()},
                [
                    Document(**{**d, "text": "", "notes": tuple(d["notes"])})
                    for d in meta["documents"]
                ],
                str(meta["synonyms"]),
                str(meta["synonyms_sha256"]),
                str(meta.get("persona", "")),
                str(meta.get("persona_sha256", "")),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring a damaged knowledge cache entry %s: %s", entry, exc)
            shutil.rmtree(entry, ignore_errors=True)
            return None
        os.utime(entry)  # recently used: pruned last
        return built

    def save(self, key: str, built: Built) -> None:
        """Best effort: a cache that cannot be written only makes the next start slower."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{key}."))
            meta = {
                "format": FORMAT,
                "passages": [asdict(p) for p in built.passages],
                "words": built.words,
                "names": built.names,
                "warnings": built.warnings,
                "roles": built.roles,
                "documents": [
                    {k: v for k, v in asdict(d).items() if k != "text"} for d in built.documents
                ],
                "synonyms": built.synonyms_text,
                "synonyms_sha256": built.synonyms_sha256,
                "persona": built.persona_text,
                "persona_sha256": built.persona_sha256,
            }
            (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
            built.index.save(tmp / "index.npz")
            try:
                tmp.rename(self.root / key)
            except OSError:  # another process wrote the same entry first: keep theirs
                shutil.rmtree(tmp, ignore_errors=True)
            self._prune()
        except OSError as exc:
            log.warning("cannot write the knowledge cache in %s: %s", self.root, exc)

    def pack(self, key: str) -> bytes | None:
        """An entry as one compressed blob, for machines whose cache lacks it (their folder
        may hold something else, so they must not build their own); None when absent."""
        entry = self.root / key
        buffer = io.BytesIO()
        try:
            with tarfile.open(fileobj=buffer, mode="w") as tar:
                for name in ENTRY_FILES:
                    tar.add(entry / name, arcname=name, recursive=False)
        except OSError:
            return None
        return zlib.compress(buffer.getvalue(), 1)  # passages' text: about a third the size

    def unpack(self, key: str, blob: bytes) -> Built | None:
        """Install an entry another machine packed, and read it back; None (nothing left
        behind) unless it is whole and is the build of ``key``: the key is recomputed from
        the documents and synonym hashes the entry says it was built from, with this
        machine's pipeline, so a blob from other sources or another version of the bot is
        refused. Written to a temporary folder and renamed, as a build is. Only the entry's
        own files are read out of the archive, whatever else it names."""
        if (self.root / key).is_dir():
            return self.load(key)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tarfile.open(fileobj=io.BytesIO(zlib.decompress(blob))) as tar:
                files = {}
                for name in ENTRY_FILES:
                    member = tar.getmember(name)
                    handle = tar.extractfile(member) if member.isfile() else None
                    if handle is None:
                        raise ValueError(f"{name} is not a file")
                    files[name] = handle.read()
        except (OSError, KeyError, ValueError, zlib.error, tarfile.TarError) as exc:
            log.warning("refusing a shared knowledge build %s: %s", key, exc)
            return None
        tmp: Path | None = None
        try:
            tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{key}."))
            for name, data in files.items():
                (tmp / name).write_bytes(data)
            tmp.rename(self.root / key)
        except OSError as exc:  # an unwritable cache: not installed, said so, not raised
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            if not (self.root / key).is_dir():  # else: another worker installed it first
                log.warning("cannot write the knowledge cache in %s: %s", self.root, exc)
                return None
        built = self.load(key)
        made_of = (built.documents, built.synonyms_sha256, built.persona_sha256) if built else ()
        if built is not None and cache_key(*made_of) != key:
            log.warning("refusing a shared knowledge build %s: it is not that build", key)
            shutil.rmtree(self.root / key, ignore_errors=True)
            return None
        if built is not None:
            self._prune()
        return built

    def _prune(self) -> None:
        entries = sorted(
            (p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for stale in entries[self.keep :]:
            shutil.rmtree(stale, ignore_errors=True)
