"""A deterministic bare git repository, written object by object without running ``git``.

Git's storage format (git-scm.com/book "Git Internals - Git Objects"): a loose object is
``zlib(<type> <size>\\0<body>)`` stored at ``objects/<sha[:2]>/<sha[2:]>`` where ``sha`` is the SHA-1
of the uncompressed bytes. A tree body is a sequence of ``<mode> <name>\\0<20-byte sha>`` entries
sorted by name (a directory sorts as ``name/``); a commit body is ``tree``, ``parent``, ``author``,
``committer`` lines, a blank line and the message. Commit and author times are fixed by the caller,
so the same history gives the same bytes. ``git log --all -p`` reads the result.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Commit:
    message: str
    author: str  # "Name <email>"
    time_s: int
    #: The whole tree at this commit: path → content.
    files: dict[str, bytes]
    tz: str = "+0100"


class BareRepo:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.head = ""

    def _put(self, kind: str, body: bytes) -> str:
        raw = f"{kind} {len(body)}".encode() + b"\0" + body
        sha = hashlib.sha1(raw).hexdigest()
        self.objects[sha] = zlib.compress(raw, 6)
        return sha

    def _tree(self, files: dict[str, bytes]) -> str:
        entries: dict[str, tuple[str, str]] = {}
        subdirs: dict[str, dict[str, bytes]] = {}
        for path, content in files.items():
            head, _, rest = path.partition("/")
            if rest:
                subdirs.setdefault(head, {})[rest] = content
            else:
                entries[head] = ("100644", self._put("blob", content))
        for name, sub in subdirs.items():
            entries[name] = ("40000", self._tree(sub))

        def order(name: str) -> str:
            return name + "/" if entries[name][0] == "40000" else name

        body = b"".join(
            f"{entries[n][0]} {n}".encode() + b"\0" + bytes.fromhex(entries[n][1])
            for n in sorted(entries, key=order)
        )
        return self._put("tree", body)

    def commit(self, c: Commit, parent: str | None) -> str:
        lines = [f"tree {self._tree(c.files)}"]
        if parent:
            lines.append(f"parent {parent}")
        lines.append(f"author {c.author} {c.time_s} {c.tz}")
        lines.append(f"committer {c.author} {c.time_s} {c.tz}")
        body = "\n".join(lines) + "\n\n" + c.message.rstrip("\n") + "\n"
        return self._put("commit", body.encode())

    def build(self, history: list[Commit]) -> list[str]:
        """Make the objects of ``history`` (oldest first); returns the commit ids in order."""
        shas: list[str] = []
        for c in history:
            shas.append(self.commit(c, shas[-1] if shas else None))
        self.head = shas[-1]
        return shas

    def write(self, path: Path, branch: str = "main") -> None:
        """Write the repository (after :meth:`build`) into the new folder ``path``."""
        (path / "refs" / "heads").mkdir(parents=True, exist_ok=True)
        (path / "refs" / "tags").mkdir(exist_ok=True)
        (path / "HEAD").write_text(f"ref: refs/heads/{branch}\n")
        (path / "config").write_text(
            "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n"
        )
        (path / "description").write_text("Simulated repository (vigil simulate)\n")
        (path / "refs" / "heads" / branch).write_text(self.head + "\n")
        for sha in sorted(self.objects):
            obj = path / "objects" / sha[:2] / sha[2:]
            obj.parent.mkdir(parents=True, exist_ok=True)
            obj.write_bytes(self.objects[sha])
