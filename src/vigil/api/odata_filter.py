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
    literal  := string | enum | "true" | "false" | "null" | integer | datetime
    enum     := "microsoft.graph." enumTypeName string

Keywords and function names are case-insensitive; strings are single-quoted
with ``''`` as an escaped quote; an enum member is written as a string or, as
in Graph's documentation, qualified by its type (``microsoft.graph.riskLevel'high'``,
the namespace and type name case-insensitive); datetimes are unquoted (``2021-01-01``,
``2021-01-01T00:00:00Z``, ``...T00:00:00.1234567Z``, ``...T00:00:00+02:00``)
and become timezone-aware UTC ``datetime`` values truncated to microseconds.
Literals are type-checked against the :class:`Property`: string/enum props take
strings (enum values must be in ``enum_values``), datetime props datetimes,
bool props ``true``/``false``, int props 64-bit integers; ``null`` only with
``eq``/``ne``; no ordering operators on bool or enum props; ``startswith`` only
on string/enum props.  Property names match exactly, or case-insensitively
when that is unambiguous (Graph is case-insensitive).  A GUID literal compared with a GUID-valued
property (``id eq '5B3A9C1E-...'``) is read in lower case, the form every GUID is stored in, so
the comparison ignores its case as Graph's does; ``startswith`` stays case-sensitive.

Evaluation (SQL and in-memory) lives in :mod:`vigil.api.odata`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import cast

from vigil.api.odata_lexer import _error, _Token, _tokenize
from vigil.api.odata_types import (
    MAX_FILTER_DEPTH,
    MAX_FILTER_LENGTH,
    And,
    Compare,
    CompareOp,
    FilterExpr,
    In,
    Not,
    ODataQueryError,
    Or,
    Property,
    PropType,
    StartsWith,
    Value,
    _clip,
    lookup_property,
)
from vigil.normalize.values import canonical_guid

__all__ = [
    "MAX_FILTER_DEPTH",
    "MAX_FILTER_LENGTH",
    "And",
    "Compare",
    "CompareOp",
    "FilterExpr",
    "In",
    "Not",
    "ODataQueryError",
    "Or",
    "PropType",
    "Property",
    "StartsWith",
    "Value",
    "lookup_property",
    "parse_filter",
]

_COMPARE_OPS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
_ORDERING_OPS = frozenset({"gt", "ge", "lt", "le"})
_ARITHMETIC_OPS = frozenset({"add", "sub", "mul", "div", "divby", "mod"})
_GRAPH_NAMESPACE = "microsoft.graph"
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
    if tok.kind in ("int", "datetime", "enum"):
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
        if tok.kind == "enum":
            return self.enum_literal(prop, tok)
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
        if prop.type is PropType.ENUM:
            return self.enum_member(prop, cast(str, value), tok)
        if prop.guid and isinstance(value, str):
            return canonical_guid(value)
        return value

    def enum_literal(self, prop: Property, tok: _Token) -> Value:
        """``microsoft.graph.riskLevel'high'``: the type must be the property's enum type."""
        type_name = tok.text[: tok.text.index("'")]
        expected = f"{_GRAPH_NAMESPACE}.{prop.enum_type}"
        if prop.type is not PropType.ENUM or type_name.lower() != expected.lower():
            needs = f"{expected}'...'" if prop.type is PropType.ENUM else _EXPECTED[prop.type]
            raise _error(
                f"{prop.name!r} is a {prop.type} property and needs {needs}, found "
                f"{_describe(tok)}",
                tok.pos,
            )
        return self.enum_member(prop, cast(str, tok.value), tok)

    def enum_member(self, prop: Property, value: str, tok: _Token) -> str:
        if value not in prop.enum_values:
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
