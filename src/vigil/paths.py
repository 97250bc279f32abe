"""File paths as Vigil names them in what it keeps (rejects, checkpoints, leak locations)."""

from __future__ import annotations

import os


def source_name(path: str | os.PathLike[str]) -> str:
    r"""A file's path as text that any store, JSON encoder or hash takes.

    A file name that is not valid UTF-8 (``caf\xe9.json`` written by a Latin-1 system) reaches
    Python with its undecodable bytes as lone surrogates, which SQLite, PostgreSQL, JSON encoders
    and ``str.encode`` all refuse: the ingest of a folder holding one failed. Such bytes are
    spelled ``\xe9`` instead, as Python prints them. Every other path is returned as given.
    """
    name = os.fspath(path)
    try:
        name.encode()
    except UnicodeEncodeError:
        try:  # the bytes os.fsdecode could not decode, as they were
            return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # another lone surrogate (a str made elsewhere): as \udxxx
            return name.encode("utf-8", "backslashreplace").decode()
    return name
