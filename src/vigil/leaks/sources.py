"""What ``vigil scan`` reads: files, folders, git repositories (every blob of every commit) and stdin.

A git repository (a working tree with ``.git``, or a bare repository) is read through the ``git``
command: ``git log --all --reflog --reverse --date-order --raw`` lists, commit by commit, the blobs
each one introduced (reflogs hold older stashes and amended commits); each blob id is read once
(``git cat-file --batch``), attributed to the earliest commit that introduced it, with that
commit's time as the leak time. So a secret that was committed and deleted later is found in the
commit that added it. Commit messages are scanned too (``git log --all --reflog --format=%B``;
:data:`MESSAGE` as their file, each text once, under its earliest commit), and every tag
object's message (:data:`TAG_MESSAGE`, under the tag object; nested and deleted tags included)
and a blob a tag points at (:data:`TAGGED_BLOB`): a secret pasted into one stays in the history as
surely as a committed file. Working-tree files are scanned too, unless
their content is a blob already read. Files are memory-mapped above 1 MiB. A UTF-16 text with a
byte-order mark is scanned as its UTF-8 (:func:`as_scanned`). Symbolic links are not followed.
Unreadable paths are reported, never fatal.
"""

from __future__ import annotations

import codecs
import hashlib
import mmap
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from vigil.paths import source_name

MMAP_ABOVE = 1 << 20
#: The ``file`` of what was found in a commit's message (``commit``: the commit).
MESSAGE = "(commit message)"
#: The ``file`` of what was found in an annotated tag's message (``commit``: the tag object).
TAG_MESSAGE = "(tag message)"
#: The ``file`` of a blob that a tag points at (``commit``: the tag object).
TAGGED_BLOB = "(tagged blob)"
#: A ``%H %ct`` header: a SHA-1 or SHA-256 object id, then the time (empty when the commit has none).
_HEADER = re.compile(rb"(?:[0-9a-f]{40}|[0-9a-f]{64}) [0-9]*")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def as_scanned(data: object) -> object:
    """What is scanned of a buffer: a UTF-16 text with a byte-order mark (Windows PowerShell 5's
    ``>`` writes it: ``az ad app credential reset > out.txt``) as UTF-8, since the secret
    patterns are bytes; anything else as it is."""
    head = data[:2]  # type: ignore[index]
    if head not in _UTF16_BOMS:
        return data
    return bytes(data).decode("utf-16", "replace").encode()  # type: ignore[call-overload]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a buffer came from; ``time`` is when its content leaked (None: unknown)."""

    path: str
    file: str | None = None
    commit: str | None = None
    time: datetime | None = None


@dataclass(frozen=True, slots=True)
class Blob:
    origin: Origin
    data: object  # bytes or mmap; valid until the iterator moves on
    name: str


@dataclass
class SourceStats:
    files: int = 0
    bytes: int = 0
    repositories: int = 0
    blobs: int = 0
    duplicate_blobs: int = 0
    messages: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)


def iter_blobs(paths: list[str], stats: SourceStats) -> Iterator[Blob]:
    """Every buffer to scan under ``paths`` (``-`` is stdin)."""
    for given in paths:
        if given == "-":
            data = sys.stdin.buffer.read()
            stats.files += 1
            stats.bytes += len(data)
            yield Blob(Origin("-"), as_scanned(data), "-")
            continue
        path = Path(given)
        if path.is_symlink() or not path.exists():
            stats.errors.append((given, "not found" if not path.exists() else "symbolic link"))
        elif path.is_dir():
            yield from _walk(path, stats)
        elif path.is_file():
            yield from _file(path, stats, set())
        else:
            stats.errors.append((given, "not a regular file or folder"))


def _is_bare_repo(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def _walk(root: Path, stats: SourceStats) -> Iterator[Blob]:
    #: Blob ids read from the history of each working tree, to skip unchanged checked-out files.
    worktrees: dict[Path, set[str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if _is_bare_repo(here):
            yield from _git(here, here, stats, set())
            dirnames.clear()
            continue
        if ".git" in dirnames or (here / ".git").is_file():
            worktrees[here] = set()
            yield from _git(here / ".git", here, stats, worktrees[here])
            with suppress(ValueError):
                dirnames.remove(".git")
        dirnames.sort()
        seen = next((worktrees[a] for a in (here, *here.parents) if a in worktrees), set())
        for name in sorted(filenames):
            p = here / name
            if name == ".git" or p.is_symlink():
                continue
            yield from _file(p, stats, seen)


def _blob_id(data: object, size: int) -> str:
    h = hashlib.sha1(f"blob {size}\0".encode())
    h.update(data)  # type: ignore[arg-type]
    return h.hexdigest()


def _file(path: Path, stats: SourceStats, seen: set[str]) -> Iterator[Blob]:
    try:
        st = path.stat()
        with path.open("rb") as f:
            if st.st_size == 0:
                stats.files += 1  # read, and nothing in it: scanned all the same
                return
            data: object = (
                mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                if st.st_size > MMAP_ABOVE
                else f.read()
            )
    except OSError as exc:
        stats.errors.append((source_name(path), exc.strerror or type(exc).__name__))
        return
    try:
        if seen and _blob_id(data, st.st_size) in seen:
            return  # the same content was read from the repository's history
        stats.files += 1
        stats.bytes += st.st_size
        when = datetime.fromtimestamp(st.st_mtime, UTC).replace(microsecond=0)
        yield Blob(Origin(source_name(path), time=when), as_scanned(data), source_name(path.name))
    finally:
        if isinstance(data, mmap.mmap):
            data.close()


def _git_log(git_dir: Path) -> list[tuple[str, str, int | None]]:
    """(blob id, path in the repository, commit time) for each blob a commit introduced.

    Commits are those of every ref and every reflog entry: a stash other than the newest
    (``stash@{1}``...) and a commit amended or reset away are reachable from a reflog only. Should
    a reflog name an object gc removed, the refs alone are read."""
    cmd = [*_git_log_command(git_dir), "--root", "-m", "--raw", "--no-abbrev", "--no-renames",
           "--no-textconv", "-z", "--format=%x01%H %ct"]
    try:
        out = subprocess.run(cmd, capture_output=True, check=True).stdout
    except subprocess.CalledProcessError:
        cmd.remove("--reflog")
        out = subprocess.run(cmd, capture_output=True, check=True).stdout
    entries: list[tuple[str, str, str, int | None]] = []
    for chunk in out.split(b"\x01")[1:]:
        header, _, rest = chunk.partition(b"\0")
        sha, ct = _commit(header)
        parts = rest.lstrip(b"\n").split(b"\0")
        for meta, name in zip(parts[0::2], parts[1::2], strict=False):
            fields = meta.decode().split()
            if len(fields) == 5 and fields[4] != "D" and fields[1] != "160000":
                entries.append((fields[3], name.decode("utf-8", "replace"), sha, ct))
    return [(blob, f"{commit}:{name}", t) for blob, name, commit, t in entries]


def _git_log_command(git_dir: Path) -> list[str]:
    """``git log`` over every ref and reflog entry, oldest first, whatever the user's git config
    says: ``log.showSignature`` would print GPG's output before each signed commit."""
    return ["git", f"--git-dir={git_dir}", "-c", "core.quotePath=false", "log",
            "--no-show-signature", "--all", "--reflog", "--reverse", "--date-order"]


def _commit(header: bytes) -> tuple[str, int | None]:
    """A ``%H %ct`` header: the commit and its time (None: a commit object without one)."""
    sha, _, ct = header.decode("ascii", "replace").strip().partition(" ")
    return sha, int(ct) if ct.isascii() and ct.isdigit() else None


def _git_messages(git_dir: Path) -> list[tuple[str, int | None, bytes, str]]:
    """(commit, commit time, message, :data:`MESSAGE`) of every commit of every ref and reflog
    entry, oldest first, each message text once (the earliest commit that has it).

    Entries end in NUL (``-z``), which no message holds (``%B`` stops at one): a message may
    hold any other byte, 0x01 included, and must not be taken for the next entry."""
    cmd = [*_git_log_command(git_dir), "-z", "--format=%H %ct%n%B"]
    try:
        out = subprocess.run(cmd, capture_output=True, check=True).stdout
    except subprocess.CalledProcessError:
        cmd.remove("--reflog")
        out = subprocess.run(cmd, capture_output=True, check=True).stdout
    found: dict[bytes, tuple[str, int | None]] = {}
    for entry in out.split(b"\0"):
        header, _, message = entry.partition(b"\n")
        if not _HEADER.fullmatch(header):
            continue
        sha, ct = _commit(header)
        if message.strip() and message not in found:
            found[message] = (sha, ct)
    return [(sha, t, message, MESSAGE) for message, (sha, t) in found.items()]


def _tag_objects(git_dir: Path) -> list[str]:
    """Every tag object in the repository: those of nested tags and of tags since deleted too."""
    cmd = ["git", f"--git-dir={git_dir}", "cat-file", "--batch-all-objects",
           "--batch-check=%(objectname) %(objecttype)"]
    out = subprocess.run(cmd, capture_output=True, check=True).stdout
    return [line.split()[0].decode() for line in out.splitlines() if line.endswith(b" tag")]


def _read_tag(data: bytes) -> tuple[str | None, str | None, int | None, bytes]:
    """(tagged object, its type, tagger time, message) of a tag object's text."""
    head, _, message = data.partition(b"\n\n")
    target = kind = None
    when: int | None = None
    for line in head.split(b"\n"):
        key, _, value = line.partition(b" ")
        if key == b"object":
            target = value.decode("ascii", "replace")
        elif key == b"type":
            kind = value.decode("ascii", "replace")
        elif key == b"tagger":
            parts = value.rsplit(b" ", 2)
            when = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
    return target, kind, when, message


def _git(git_dir: Path, shown: Path, stats: SourceStats, seen: set[str]) -> Iterator[Blob]:
    try:
        entries = _git_log(git_dir)
        messages = _git_messages(git_dir)
        tags = _tag_objects(git_dir)
    except (OSError, subprocess.CalledProcessError) as exc:
        stats.errors.append((source_name(shown), f"git: {getattr(exc, 'stderr', b'') or exc!s}"[:300]))
        return
    stats.repositories += 1
    first: dict[str, tuple[str, int | None]] = {}
    for blob, where, t in entries:
        if blob in first or blob in seen:
            stats.duplicate_blobs += 1
            continue
        first[blob] = (where, t)
    proc = subprocess.Popen(
        ["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for tag in tags:  # their messages, and a blob one tags (no commit holds it, say)
            data = _cat(proc.stdin, proc.stdout, tag)
            if data is None:
                continue
            target, kind, t, message = _read_tag(data)
            if message.strip():
                messages.append((tag, t, message, TAG_MESSAGE))
            if kind == "blob" and target and target not in first and target not in seen:
                first[target] = (f"{tag}:{TAGGED_BLOB}", t)
        for blob, (where, t) in first.items():
            data = _cat(proc.stdin, proc.stdout, blob)
            seen.add(blob)
            if data is None:
                continue
            commit, _, name = where.partition(":")
            stats.blobs += 1
            stats.bytes += len(data)
            origin = Origin(source_name(shown), name, commit, _time(t))
            yield Blob(origin, as_scanned(data), Path(name).name)
    finally:
        proc.stdin.close()
        proc.wait()
    for commit, t, message, file in messages:
        stats.messages += 1
        stats.bytes += len(message)
        origin = Origin(source_name(shown), file, commit, _time(t))
        yield Blob(origin, as_scanned(message), file)


def _time(t: int | None) -> datetime | None:
    return None if t is None else datetime.fromtimestamp(t, UTC)


def _cat(stdin: IO[bytes], stdout: IO[bytes], blob: str) -> bytes | None:
    stdin.write(blob.encode() + b"\n")
    stdin.flush()
    header = stdout.readline().split()
    if len(header) != 3:
        return None
    data = stdout.read(int(header[2]))
    stdout.read(1)  # the newline after the content
    return data
