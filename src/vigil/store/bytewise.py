"""Text that sorts and compares by code point on every backend, whatever the server's collation.

SQLite compares text byte by byte (UTF-8, so by code point), as Python does. PostgreSQL compares
it by the column's collation, the database's default unless the column says otherwise: on a
server whose default is ``en_US.UTF-8`` or ICU ``en-US`` (common in production), ``build-agent``
sorts before ``Contoso`` and ``displayName gt 'b'`` holds for ``Contoso``; on ``C`` it does not.
Lists (``$orderby``, the console's columns, keyset ``$skiptoken``) and range filters would then
differ between the two backends, and between the SQL and the in-memory evaluation of one filter
(:func:`vigil.api.odata.evaluate_filter`).

:func:`bytewise` wraps a text expression so that PostgreSQL orders and compares it with the
``"C"`` collation (bytes of UTF-8, i.e. code points); elsewhere it is the expression itself.
Equality needs no wrapping: PostgreSQL's collations are deterministic unless declared otherwise,
and Vigil declares none, so ``=`` and ``IN`` stay exact and keep their indexes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class _Bytewise(FunctionElement[str]):
    """``expr`` ordered and compared by code point (module docstring)."""

    name = "bytewise"
    inherit_cache = True
    type = String()

    def __init__(self, expr: Any) -> None:
        super().__init__(expr)
        #: As the wrapped column's: ``order_clause`` and keyset paging place nulls by it.
        self.nullable = bool(getattr(expr, "nullable", True))


@compiles(_Bytewise)
def _plain(element: _Bytewise, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(_Bytewise, "postgresql")
def _c_collation(element: _Bytewise, compiler: SQLCompiler, **kw: Any) -> str:
    return f'({compiler.process(element.clauses, **kw)} COLLATE "C")'


def is_text(expr: Any) -> bool:
    """Whether ``expr`` is a text-typed column or expression."""
    return isinstance(getattr(expr, "type", None), String)


def bytewise(expr: Any) -> Any:
    """``expr`` ordered and compared by code point on every backend, if it is text; else itself."""
    if isinstance(expr, _Bytewise) or not is_text(expr):
        return expr
    return _Bytewise(expr)
