"""OData ``$filter`` subset: query-option types, filter AST and parser.

The grammar is the subset of OData v4.01 URL Conventions §5.1.1 (System Query
Option ``$filter``: logical, comparison and ``in`` operators, grouping, and the
``startswith`` canonical function) that Microsoft Graph accepts on
``/identityProtection/riskyServicePrincipals`` and
``/servicePrincipalRiskDetections``::

    filter   := or_expr
    or_expr  := and_expr ("or" and_expr)*
    and_expr := unary ("and" unary)*
    unary    := "not" unary | primary
    primary  := "(" or_expr ")"
              | "startswith" "(" property "," string ")"
              | property ("eq" | "ne" | "gt" | "ge" | "lt" | "le") literal
              | property "in" "(" literal ("," literal)* ")"
    literal  := string | "true" | "false" | "null" | integer | datetime

Keywords and function names are case-insensitive; strings are single-quoted
with ``''`` as an escaped quote; datetimes are unquoted (``2021-01-01``,
``2021-01-01T00:00:00Z``, ``...T00:00:00.1234567Z``, ``...T00:00:00+02:00``)
and become timezone-aware UTC ``datetime`` values truncated to microseconds.
Literals are type-checked against the :class:`Property`: string/enum props take
strings (enum values must be in ``enum_values``), datetime props datetimes,
bool props ``true``/``false``, int props 64-bit integers; ``null`` only with
``eq``/``ne``; no ordering operators on bool or enum props; ``startswith`` only
on string/enum props.  Property names match exactly, or case-insensitively
when that is unambiguous (Graph is case-insensitive).

Evaluation (SQL and in-memory) lives in :mod:`vigil.api.odata`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Literal, TypeAlias, cast

MAX_FILTER_LENGTH = 4096
MAX_FILTER_DEPTH = 50
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class ODataQueryError(ValueError):
    """Malformed or unsupported query option.

    ``option`` names the query option (``"$filter"``, ``"$top"``...), ``position``
    is the 0-based character offset of the offending token (``None`` when it does
    not apply) and ``str(e)`` is a complete human-readable message.
    """

    def __init__(self, option: str, message: str, position: int | None = None) -> None:
        self.option = option
        self.message = message
        self.position = position
        where = "" if position is None else f" at position {position}"
        super().__init__(f"invalid {option}{where}: {message}")


class PropType(StrEnum):
    """Edm type family of a queryable property."""

    STRING = "string"
    ENUM = "enum"
    DATETIME = "datetime"
    BOOL = "bool"
    INT = "int"


@dataclass(frozen=True)
class Property:
    """A queryable resource property, by its Graph (camelCase) name."""

    name: str
    type: PropType
    enum_values: tuple[str, ...] = ()
    filterable: bool = True
    sortable: bool = True


Value: TypeAlias = str | bool | int | datetime | None
CompareOp: TypeAlias = Literal["eq", "ne", "gt", "ge", "lt", "le"]


@dataclass(frozen=True)
class Compare:
    """``prop op value``; ``value is None`` only for ``eq``/``ne`` (null tests)."""

    op: CompareOp
    prop: str
    value: Value


@dataclass(frozen=True)
class In:
    """``prop in (v1, v2, ...)``; ``values`` is non-empty and contains no null."""

    prop: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class StartsWith:
    """``startswith(prop, 'prefix')`` (case-sensitive)."""

    prop: str
    prefix: str


@dataclass(frozen=True)
class And:
    left: FilterExpr
    right: FilterExpr


@dataclass(frozen=True)
class Or:
    left: FilterExpr
    right: FilterExpr


@dataclass(frozen=True)
class Not:
    expr: FilterExpr


FilterExpr: TypeAlias = Compare | In | StartsWith | And | Or | Not


def lookup_property(
    option: str,
    name: str,
    properties: Mapping[str, Property],
    position: int | None,
    *,
    usable: Callable[[Property], bool] = lambda p: True,
    purpose: str = "",
) -> Property:
    """Resolve ``name`` (exact match, else a unique case-insensitive match) or raise.

    ``usable`` filters the candidates (e.g. filterable ones); the error lists them.
    """
    prop = properties.get(name)
    if prop is None:
        folded = [p for key, p in properties.items() if key.lower() == name.lower()]
        prop = folded[0] if len(folded) == 1 else None
    allowed = ", ".join(sorted(p.name for p in properties.values() if usable(p))) or "(none)"
    label = f"{purpose} properties" if purpose else "properties"
    if prop is None:
        message = f"unknown property {_clip(name)!r}; {label}: {allowed}"
    elif not usable(prop):
        message = f"property {prop.name!r} cannot be used in {option}; {label}: {allowed}"
    else:
        return prop
    raise ODataQueryError(option, message, position)


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- lexer


@dataclass(frozen=True)
class _Token:
    kind: str  # "word" | "string" | "int" | "datetime" | "(" | ")" | "," | "end"
    text: str
    pos: int
    value: Value = None


_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMERIC_CHUNK = re.compile(r"-?[0-9][0-9A-Za-z:.+\-_]*")
_INT = re.compile(r"-?[0-9]+")
_DATETIME = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[Tt](?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]+))?)?"
    r"(?P<tz>[Zz]|[+-][0-9]{2}:[0-9]{2}))?"
)


def _error(message: str, position: int | None) -> ODataQueryError:
    return ODataQueryError("$filter", message, position)


def _parse_datetime(m: re.Match[str], text: str, pos: int) -> datetime:
    try:
        date = (int(m["y"]), int(m["mo"]), int(m["d"]))
        if m["h"] is None:
            return datetime(*date, tzinfo=UTC)
        micro = int((m["f"] or "")[:6].ljust(6, "0"))
        tz = m["tz"]
        offset = timedelta(0)
        if tz not in ("Z", "z"):
            hours, minutes = int(tz[1:3]), int(tz[4:6])
            if minutes > 59:
                raise ValueError("offset minutes must be in 0..59")
            offset = timedelta(hours=hours, minutes=minutes) * (-1 if tz[0] == "-" else 1)
        local = datetime(
            *date, int(m["h"]), int(m["mi"]), int(m["s"] or 0), micro, tzinfo=timezone(offset)
        )
        return local.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise _error(f"invalid datetime literal {_clip(text)!r} ({exc})", pos) from None


def _tokenize(text: str) -> Iterator[_Token]:
    """Yield the tokens of ``text`` lazily (so errors surface in source order), then ``end``."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if (m := _SPACE.match(text, i)) is not None:
            i = m.end()
        elif ch in "(),":
            yield _Token(ch, ch, i)
            i += 1
        elif ch == "'":
            parts: list[str] = []
            j = i + 1
            while True:
                close = text.find("'", j)
                if close < 0:
                    raise _error("unterminated string literal (missing closing quote)", i)
                if (nul := text.find("\x00", j, close)) >= 0:
                    raise _error("NUL characters are not allowed", nul)
                parts.append(text[j:close])
                if text.startswith("'", close + 1):
                    parts.append("'")
                    j = close + 2
                else:
                    break
            yield _Token("string", text[i : close + 1], i, "".join(parts))
            i = close + 1
        elif (m := _WORD.match(text, i)) is not None:
            yield _Token("word", m.group(), i)
            i = m.end()
        elif (m := _NUMERIC_CHUNK.match(text, i)) is not None:
            chunk = m.group()
            if _INT.fullmatch(chunk):
                if len(chunk) > 20 or not _INT64_MIN <= int(chunk) <= _INT64_MAX:
                    raise _error(f"integer literal {_clip(chunk)} is outside the 64-bit range", i)
                yield _Token("int", chunk, i, int(chunk))
            elif (dm := _DATETIME.fullmatch(chunk)) is not None:
                yield _Token("datetime", chunk, i, _parse_datetime(dm, chunk, i))
            else:
                raise _error(
                    f"invalid literal {_clip(chunk)!r}; expected an integer or a datetime such as "
                    "2021-01-01T00:00:00Z (decimals and arithmetic are not supported)",
                    i,
                )
            i = m.end()
        else:
            hint = ""
            if ch == "/":
                hint = "; property paths and lambda operators (any/all) are not supported"
            elif ch in "+-*":
                hint = "; arithmetic is not supported"
            raise _error(f"unexpected character {ch!r}{hint}", i)
    yield _Token("end", "", n)


# --------------------------------------------------------------------------- parser

_COMPARE_OPS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
_ORDERING_OPS = frozenset({"gt", "ge", "lt", "le"})
_ARITHMETIC_OPS = frozenset({"add", "sub", "mul", "div", "divby", "mod"})
_LITERAL_WORDS: dict[str, Value] = {"true": True, "false": False, "null": None}
_KEYWORDS = _COMPARE_OPS | _ARITHMETIC_OPS | _LITERAL_WORDS.keys() | {"and", "or", "not", "in"}
_EXPECTED = {
    PropType.STRING: "a quoted string literal such as 'abc'",
    PropType.ENUM: "a quoted string literal",
    PropType.DATETIME: "an unquoted datetime literal such as 2021-01-01T00:00:00Z",
    PropType.BOOL: "true or false",
    PropType.INT: "an integer literal",
}


def _describe(tok: _Token) -> str:
    if tok.kind == "end":
        return "the end of the expression"
    if tok.kind == "string":
        return f"string literal {_clip(tok.text)}"
    if tok.kind in ("int", "datetime"):
        return f"{tok.kind} literal {_clip(tok.text)}"
    return repr(_clip(tok.text))


def _type_ok(prop: Property, value: Value) -> bool:
    match prop.type:
        case PropType.STRING | PropType.ENUM:
            return isinstance(value, str)
        case PropType.DATETIME:
            return isinstance(value, datetime)
        case PropType.BOOL:
            return isinstance(value, bool)
        case _:
            return isinstance(value, int) and not isinstance(value, bool)


class _Parser:
    def __init__(self, text: str, properties: Mapping[str, Property]) -> None:
        self.tokens = _tokenize(text)
        self.current = next(self.tokens)
        self.depth = 0
        self.properties = properties

    def peek(self) -> _Token:
        return self.current

    def take(self) -> _Token:
        tok = self.current
        if tok.kind != "end":
            self.current = next(self.tokens)
        return tok

    def keyword(self, word: str) -> bool:
        if self.current.kind == "word" and self.current.text.lower() == word:
            self.take()
            return True
        return False

    def expect(self, kind: str, what: str) -> _Token:
        tok = self.take()
        if tok.kind != kind:
            raise _error(f"expected {what}, found {_describe(tok)}", tok.pos)
        return tok

    def nest(self, tok: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_FILTER_DEPTH:
            raise _error(f"expression is nested more than {MAX_FILTER_DEPTH} levels deep", tok.pos)

    def parse(self) -> FilterExpr:
        if self.peek().kind == "end":
            raise _error("the filter expression is empty", 0)
        expr = self.or_expr()
        tok = self.peek()
        if tok.kind == ")":
            raise _error("')' has no matching '('", tok.pos)
        if tok.kind != "end":
            raise _error(
                f"unexpected {_describe(tok)}; expected 'and', 'or' or the end of the expression",
                tok.pos,
            )
        return expr

    def or_expr(self) -> FilterExpr:
        expr = self.and_expr()
        while self.keyword("or"):
            expr = Or(expr, self.and_expr())
        return expr

    def and_expr(self) -> FilterExpr:
        expr = self.unary()
        while self.keyword("and"):
            expr = And(expr, self.unary())
        return expr

    def unary(self) -> FilterExpr:
        tok = self.peek()
        if not self.keyword("not"):
            return self.primary()
        self.nest(tok)
        expr = Not(self.unary())
        self.depth -= 1
        return expr

    def primary(self) -> FilterExpr:
        tok = self.take()
        if tok.kind == "(":
            self.nest(tok)
            expr = self.or_expr()
            close = self.take()
            if close.kind != ")":
                raise _error(
                    f"expected ')' to close the '(' at position {tok.pos}, found "
                    f"{_describe(close)}",
                    close.pos,
                )
            self.depth -= 1
            return expr
        if tok.kind != "word":
            hint = "; comparisons must be written as 'property operator literal'"
            raise _error(
                f"expected a property name, 'not', 'startswith' or '(', found "
                f"{_describe(tok)}{hint if tok.kind != 'end' else ''}",
                tok.pos,
            )
        name = tok.text.lower()
        if self.peek().kind == "(":
            if name == "startswith":
                return self.startswith()
            raise _error(
                f"function {_clip(tok.text)!r} is not supported; only "
                "startswith(property, 'prefix') is",
                tok.pos,
            )
        if name == "startswith":
            raise _error(
                f"expected '(' after startswith, found {_describe(self.peek())}", self.peek().pos
            )
        if name in _KEYWORDS:
            raise _error(
                f"expected a property name, 'not', 'startswith' or '(', found keyword {tok.text!r}",
                tok.pos,
            )
        return self.comparison(tok)

    def prop(self, tok: _Token) -> Property:
        return lookup_property(
            "$filter",
            tok.text,
            self.properties,
            tok.pos,
            usable=lambda p: p.filterable,
            purpose="filterable",
        )

    def comparison(self, name_tok: _Token) -> FilterExpr:
        prop = self.prop(name_tok)
        op_tok = self.take()
        op = op_tok.text.lower() if op_tok.kind == "word" else ""
        if op == "in":
            return In(prop.name, self.in_list(prop))
        if op in _ARITHMETIC_OPS:
            raise _error(f"arithmetic operator {op_tok.text!r} is not supported", op_tok.pos)
        if op not in _COMPARE_OPS:
            raise _error(
                f"expected a comparison operator (eq, ne, gt, ge, lt, le or in) after "
                f"{prop.name!r}, found {_describe(op_tok)}",
                op_tok.pos,
            )
        if op in _ORDERING_OPS and prop.type in (PropType.BOOL, PropType.ENUM):
            raise _error(
                f"operator {op!r} is not supported on {prop.type} property "
                f"{prop.name!r}; use eq, ne or in",
                op_tok.pos,
            )
        value = self.literal(prop, allow_null=op in ("eq", "ne"))
        return Compare(cast(CompareOp, op), prop.name, value)

    def in_list(self, prop: Property) -> tuple[Value, ...]:
        self.expect("(", "'(' after 'in'")
        if self.peek().kind == ")":
            raise _error("the 'in' list is empty", self.peek().pos)
        values = [self.literal(prop, allow_null=False)]
        while self.peek().kind == ",":
            self.take()
            values.append(self.literal(prop, allow_null=False))
        self.expect(")", "',' or ')' in the 'in' list")
        return tuple(values)

    def literal(self, prop: Property, *, allow_null: bool) -> Value:
        tok = self.take()
        if tok.kind in ("string", "int", "datetime"):
            value = tok.value
        elif tok.kind == "word" and tok.text.lower() in _LITERAL_WORDS:
            value = _LITERAL_WORDS[tok.text.lower()]
        elif tok.kind == "word" and tok.text.lower() not in _KEYWORDS:
            raise _error(
                f"expected a literal value, found {_describe(tok)}; comparing two "
                "properties is not supported",
                tok.pos,
            )
        else:
            raise _error(f"expected a literal value, found {_describe(tok)}", tok.pos)
        if value is None:
            if not allow_null:
                raise _error("null can only be used with eq or ne", tok.pos)
            return None
        if not _type_ok(prop, value):
            raise _error(
                f"{prop.name!r} is a {prop.type} property and needs "
                f"{_EXPECTED[prop.type]}, found {_describe(tok)}",
                tok.pos,
            )
        if prop.type is PropType.ENUM and value not in prop.enum_values:
            raise _error(
                f"{value!r} is not a valid value for {prop.name}; expected one of: "
                f"{', '.join(prop.enum_values)}",
                tok.pos,
            )
        return value

    def startswith(self) -> FilterExpr:
        self.expect("(", "'('")
        name_tok = self.expect("word", "a property name as the first argument of startswith")
        prop = self.prop(name_tok)
        if prop.type not in (PropType.STRING, PropType.ENUM):
            raise _error(
                f"startswith needs a string property, but {prop.name!r} is a {prop.type} property",
                name_tok.pos,
            )
        self.expect(",", "',' after the property in startswith")
        prefix = self.expect("string", "a quoted string prefix as startswith's 2nd argument")
        self.expect(")", "')' to close startswith")
        return StartsWith(prop.name, cast(str, prefix.value))


def parse_filter(text: str, properties: Mapping[str, Property]) -> FilterExpr:
    """Parse a ``$filter`` expression (OData v4.01 URL Conventions §5.1.1 subset).

    ``properties`` maps Graph property names to their metadata.  Returns the AST
    with canonical property names and typed literal values.  Raises
    :class:`ODataQueryError` -- and nothing else -- for any malformed, unsupported
    or ill-typed input, including inputs longer than ``MAX_FILTER_LENGTH``
    characters or nested deeper than ``MAX_FILTER_DEPTH`` levels.
    """
    if len(text) > MAX_FILTER_LENGTH:
        raise _error(
            f"the expression is {len(text)} characters long; the maximum is {MAX_FILTER_LENGTH}",
            MAX_FILTER_LENGTH,
        )
    return _Parser(text, properties).parse()
