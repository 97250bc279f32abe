"""The pure-Python bare git repository writer."""

from __future__ import annotations

import shutil
import subprocess
import zlib

import pytest

from vigil.simulate.gitrepo import BareRepo, Commit

AUTHOR = "Sam Developer <sam@example.com>"


def history() -> list[Commit]:
    return [
        Commit("first", AUTHOR, 1_790_000_000, {"README.md": b"hello\n"}),
        Commit("add", AUTHOR, 1_790_000_600,
               {"README.md": b"hello\n", "config/app.yaml": b"secret: x\n"}),
        Commit("remove", AUTHOR, 1_790_001_200,
               {"README.md": b"hello\n", "config/app.yaml": b"secret: ${S}\n"}),
    ]


def test_blob_ids_are_gits():
    repo = BareRepo()
    repo.build([Commit("m", AUTHOR, 0, {"a.txt": b"hello\n"})])
    # `printf 'hello\n' | git hash-object --stdin`
    assert "ce013625030ba8dba906f756967f9e9ca394464a" in repo.objects
    raw = zlib.decompress(repo.objects["ce013625030ba8dba906f756967f9e9ca394464a"])
    assert raw == b"blob 6\x00hello\n"


def test_same_history_same_bytes(tmp_path):
    a, b = BareRepo(), BareRepo()
    assert a.build(history()) == b.build(history())
    a.write(tmp_path / "a.git")
    b.write(tmp_path / "b.git")
    files_a = sorted(p.relative_to(tmp_path / "a.git") for p in (tmp_path / "a.git").rglob("*"))
    files_b = sorted(p.relative_to(tmp_path / "b.git") for p in (tmp_path / "b.git").rglob("*"))
    assert files_a == files_b
    for rel in files_a:
        pa = tmp_path / "a.git" / rel
        if pa.is_file():
            assert pa.read_bytes() == (tmp_path / "b.git" / rel).read_bytes()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_reads_the_history(tmp_path):
    repo = BareRepo()
    shas = repo.build(history())
    repo.write(tmp_path / "r.git")
    git = ["git", "-C", str(tmp_path / "r.git")]
    log = subprocess.run([*git, "log", "--format=%H %s %at"], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert log[:3] == [f"{shas[2]} remove 1790001200", f"{shas[1]} add 1790000600",
                       f"{shas[0]} first 1790000000"]
    shown = subprocess.run([*git, "show", f"{shas[1]}:config/app.yaml"], capture_output=True,
                           check=True).stdout
    assert shown == b"secret: x\n"
    fsck = subprocess.run([*git, "fsck", "--strict"], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr
