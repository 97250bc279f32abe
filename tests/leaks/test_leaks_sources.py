"""What ``vigil scan`` reads: folders, git history (every blob of every commit, once), stdin."""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from leak_fixtures import git, secret

from vigil.leaks.sources import SourceStats, iter_blobs

T1 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 5, 1, 11, 0, tzinfo=UTC)


def _collect(paths, stats=None):
    stats = stats or SourceStats()
    return [(b.origin, bytes(b.data)) for b in iter_blobs([str(p) for p in paths], stats)], stats


def _new_repo(tmp_path):
    """An empty repository at ``tmp_path / "repo"`` on branch main."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    return repo


def _repo_with_deleted_secret(tmp_path, s):
    repo = _new_repo(tmp_path)
    (repo / "README.md").write_text("tools\n")
    (repo / "settings.yaml").write_text(f"client_id: x\nclient_secret: \"{s}\"\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "add settings", when=T1)
    added = git(repo, "rev-parse", "HEAD")
    (repo / "settings.yaml").write_text("client_id: x\nclient_secret: ${SECRET}\n")
    git(repo, "commit", "-qam", "remove the secret", when=T2)
    return repo, added


def test_git_history_finds_a_deleted_secret(tmp_path):
    s = secret(random.Random(5))
    repo, added = _repo_with_deleted_secret(tmp_path, s)
    blobs, stats = _collect([repo])
    holding = [o for o, data in blobs if s.encode() in data]
    assert len(holding) == 1
    origin = holding[0]
    assert (origin.commit, origin.file, origin.time) == (added, "settings.yaml", T1)
    assert origin.path == str(repo)
    assert stats.repositories == 1
    # checked-out files equal to a blob already read are not read again
    assert [o for o, _ in blobs if o.commit is None] == []


def test_bare_clone_and_untracked_files(tmp_path):
    s = secret(random.Random(6))
    repo, added = _repo_with_deleted_secret(tmp_path, s)
    (repo / "notes.txt").write_text("untracked\n")
    bare = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(bare)], check=True)
    blobs, stats = _collect([tmp_path])
    commits = [o.commit for o, data in blobs if s.encode() in data]
    assert commits == [added, added]  # once per repository (working tree and bare clone)
    assert any(o.path.endswith("notes.txt") for o, _ in blobs)
    assert stats.repositories == 2


def test_blob_shared_by_commits_is_read_once(tmp_path):
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "a.txt").write_text("same\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "1", when=T1)
    (repo / "b.txt").write_text("other\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "2", when=T2)
    (repo / "c.txt").write_text("same\n")  # the content of a.txt again
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "3", when=T2)
    blobs, stats = _collect([repo])
    files = sorted(data for o, data in blobs if o.file != "(commit message)")
    assert files == [b"other\n", b"same\n"]
    assert stats.messages == 3
    assert stats.duplicate_blobs == 1


def test_stdin_missing_paths_and_symlinks(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"from stdin")))
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    blobs, stats = _collect(["-", tmp_path / "missing", tmp_path / "link"])
    assert [(o.path, d) for o, d in blobs] == [("-", b"from stdin")]
    assert [p for p, _ in stats.errors] == [str(tmp_path / "missing"), str(tmp_path / "link")]


def test_file_time_is_its_modification_time(tmp_path):
    p = tmp_path / "x.env"
    p.write_text("A=1\n")
    ts = T1.timestamp()
    os.utime(p, (ts, ts))
    blobs, _ = _collect([p])
    assert blobs[0][0].time == T1


def test_older_stash_and_amended_commit_are_read(tmp_path):
    """``stash@{1}`` and a commit amended away are reachable only from a reflog."""
    rng = random.Random(11)
    stashed, amended = secret(rng), secret(rng)
    repo = _new_repo(tmp_path)
    (repo / "app.env").write_text("A=1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init", when=T1)
    (repo / "app.env").write_text(f"SECRET={stashed}\n")
    git(repo, "stash", "-q")
    (repo / "app.env").write_text("A=2\n")
    git(repo, "stash", "-q")  # the secret's stash is now stash@{1}
    (repo / "conf.env").write_text(f"SECRET={amended}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "conf", when=T2)
    (repo / "conf.env").write_text("SECRET=${SECRET}\n")
    git(repo, "commit", "-qa", "--amend", "-m", "conf", when=T2)
    blobs, _ = _collect([repo])
    assert any(stashed.encode() in data for _, data in blobs)
    assert any(amended.encode() in data for _, data in blobs)


def test_commit_messages_are_read_once_each_under_their_earliest_commit(tmp_path):
    """A secret pasted into a commit message stays in the history, amended away or not."""
    rng = random.Random(12)
    pasted, amended = secret(rng), secret(rng)
    repo = _new_repo(tmp_path)
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", f"deploy\n\ntested with client secret {pasted}", when=T1)
    first = git(repo, "rev-parse", "HEAD")
    (repo / "a.txt").write_text("b\n")
    git(repo, "commit", "-qam", f"rotate {amended}", when=T2)
    git(repo, "commit", "-q", "--amend", "-m", "rotate", when=T2)  # the message amended away
    (repo / "a.txt").write_text("c\n")
    git(repo, "commit", "-qam", f"deploy\n\ntested with client secret {pasted}", when=T2)
    blobs, stats = _collect([repo])
    messages = [(o, data) for o, data in blobs if o.file == "(commit message)"]
    holding = [o for o, data in messages if pasted.encode() in data]
    assert [(o.commit, o.time, o.path) for o in holding] == [(first, T1, str(repo))]
    assert any(amended.encode() in data for _, data in messages)
    assert stats.messages == len(messages) == 3  # "deploy ..." once, "rotate <secret>", "rotate"


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen to sign")
def test_signed_commits_are_read_whatever_log_show_signature_says(tmp_path):
    """With ``log.showSignature`` on, ``git log`` prints the signature check before each signed
    commit: the scan must not take that for a commit (it crashed on it)."""
    s = secret(random.Random(13))
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "key")],
                   check=True)  # fmt: skip
    repo = _new_repo(tmp_path)
    for key, value in (("gpg.format", "ssh"), ("user.signingkey", str(tmp_path / "key.pub")),
                       ("log.showSignature", "true")):  # fmt: skip
        git(repo, "config", key, value)
    (repo / "app.env").write_text(f"SECRET={s}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qS", "-m", f"signed, with {s}", when=T1)
    signed = git(repo, "rev-parse", "HEAD")
    blobs, stats = _collect([repo])
    assert stats.errors == []
    found = sorted((o.file, o.commit, o.time) for o, data in blobs if s.encode() in data)
    assert found == [("(commit message)", signed, T1), ("app.env", signed, T1)]


def test_a_commit_without_a_time_is_read_with_no_leak_time(tmp_path):
    """A commit object written by hand may lack its committer date: no time, but no crash."""
    s = secret(random.Random(14))
    repo = _new_repo(tmp_path)
    (repo / "a.txt").write_text(f"{s}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "first", when=T1)
    tree = git(repo, "rev-parse", "HEAD^{tree}")
    body = f"tree {tree}\nauthor n <a@b>\ncommitter n <a@b>\n\nno date {s}\n"
    odd = subprocess.run(["git", "-C", str(repo), "hash-object", "-t", "commit", "--literally",
                          "-w", "--stdin"], input=body, text=True, capture_output=True,
                         check=True).stdout.strip()  # fmt: skip
    git(repo, "update-ref", "refs/heads/odd", odd)
    blobs, stats = _collect([repo])
    messages = {o.commit: o.time for o, data in blobs if o.file == "(commit message)"}
    assert messages[odd] is None and stats.errors == []
    assert len([o for o, data in blobs if data == f"{s}\n".encode()]) == 1


def test_annotated_tag_messages_are_read_under_the_tag(tmp_path):
    s = secret(random.Random(15))
    repo = _new_repo(tmp_path)
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "first", when=T1)
    git(repo, "tag", "-a", "v1", "-m", f"release\n\nsmoke-tested with {s}", when=T2)
    git(repo, "tag", "light")  # a lightweight tag has no message of its own
    tag = git(repo, "rev-parse", "v1")
    blobs, stats = _collect([repo])
    found = [(o.file, o.commit, o.time) for o, data in blobs if s.encode() in data]
    assert found == [("(tag message)", tag, T2)]
    assert stats.messages == 2  # "first" and the tag's


def test_a_message_holding_any_byte_is_read_whole_under_its_own_commit(tmp_path):
    """A \\x01, or a line shaped like an entry header, in a message must not end it (found by a
    reviewer: the text after \\x01 was never scanned)."""
    s = secret(random.Random(16))
    repo = _new_repo(tmp_path)
    git(repo, "commit", "-q", "--allow-empty", "-m", "first", when=T1)
    fake = "0" * 40
    git(repo, "commit", "-q", "--allow-empty", "-m", f"fix\x01{fake} 1\n{s}", when=T2)
    second = git(repo, "rev-parse", "HEAD")
    blobs, _ = _collect([repo])
    found = [(o.file, o.commit, o.time) for o, data in blobs if s.encode() in data]
    assert found == [("(commit message)", second, T2)]


def test_every_tag_object_is_read_and_a_tagged_blob_too(tmp_path):
    rng = random.Random(17)
    inner_secret, blob_secret = secret(rng), secret(rng)
    repo = _new_repo(tmp_path)
    git(repo, "commit", "-q", "--allow-empty", "-m", "first", when=T1)
    git(repo, "tag", "-a", "inner", "-m", f"inner {inner_secret}", when=T1)
    git(repo, "tag", "-a", "outer", "inner", "-m", "outer", when=T2)  # a tag of a tag
    git(repo, "tag", "-d", "inner")  # only the outer one names it now
    (tmp_path / "key.txt").write_text(f"KEY={blob_secret}\n")
    blob = git(repo, "hash-object", "-w", str(tmp_path / "key.txt"))
    git(repo, "tag", "-a", "key", blob, "-m", "a blob", when=T2)  # no commit holds it
    key_tag = git(repo, "rev-parse", "key")
    blobs, stats = _collect([repo])
    inner = [(o.file, o.time) for o, data in blobs if inner_secret.encode() in data]
    assert inner == [("(tag message)", T1)]
    tagged = [(o.file, o.commit, o.time) for o, data in blobs if blob_secret.encode() in data]
    assert tagged == [("(tagged blob)", key_tag, T2)]
    assert stats.messages == 4  # "first" and three tags
