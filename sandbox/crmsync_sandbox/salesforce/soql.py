"""A SOQL parser and evaluator for the statements sync tools send.

Supported: ``SELECT`` field lists and ``COUNT()``, ``FROM``, ``WHERE`` with ``AND``/``OR``/``NOT``
and parentheses, ``= != <> < <= > >=``, ``IN``/``NOT IN``, ``LIKE``, ``null``, booleans, numbers,
quoted strings with backslash escapes, date and (unquoted) datetime literals, ``ORDER BY`` with
``ASC``/``DESC`` and ``NULLS FIRST``/``LAST``, ``LIMIT`` and ``OFFSET``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from crmsync_sandbox.salesforce import ids
from crmsync_sandbox.salesforce.exceptions import SoqlError
from crmsync_sandbox.salesforce.schema import ID_TYPES, NUMBER_TYPES, TEXT_TYPES, ObjectDef
from crmsync_sandbox.salesforce.values import canonical_datetime

#: The largest OFFSET SOQL allows.
MAX_OFFSET = 2000

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:\\.|[^'\\])*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\w:]))
  | (?P<number>[+-]?\d+(?:\.\d+)?(?![\w]))
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<op>!=|<>|<=|>=|=|<|>)
  | (?P<punct>[(),])
    """,
    re.VERBOSE,
)
_ESCAPES = {
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "b": "\b",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
    "_": "\\_",
    "%": "\\%",
}
_KEYWORDS = frozenset(
    {
        "select",
        "from",
        "where",
        "and",
        "or",
        "not",
        "in",
        "like",
        "order",
        "by",
        "asc",
        "desc",
        "nulls",
        "first",
        "last",
        "limit",
        "offset",
        "null",
        "true",
        "false",
        "count",
    }
)
_CLAUSE_ENDS = frozenset({"order", "limit", "offset"})


@dataclass(frozen=True)
class Token:
    """One lexical token: its kind, text (decoded for strings) and column (1-based)."""

    kind: str
    text: str
    column: int


@dataclass(frozen=True)
class DateLit:
    """A ``YYYY-MM-DD`` literal."""

    value: str


@dataclass(frozen=True)
class DateTimeLit:
    """A datetime literal, held in the API's canonical format (sortable as text)."""

    value: str


@dataclass
class Query:
    """A parsed SELECT statement."""

    sobject: str
    fields: list[str]
    count_only: bool = False
    where: tuple[Any, ...] | None = None
    order_by: list[tuple[str, bool, bool]] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0


def _decode_string(raw: str, column: int, soql: str) -> str:
    out = []
    i = 1
    while i < len(raw) - 1:
        char = raw[i]
        if char == "\\":
            nxt = raw[i + 1]
            if nxt not in _ESCAPES:
                raise _malformed(
                    soql,
                    column + i,
                    f"Invalid string literal '{raw}'. Illegal character sequence "
                    f"'\\{nxt}' in string literal.",
                )
            out.append(_ESCAPES[nxt])
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _malformed(soql: str, column: int, message: str) -> SoqlError:
    return SoqlError("MALFORMED_QUERY", _located(soql, column, message))


def _located(soql: str, column: int, message: str) -> str:
    """Word a query error like the real org: the statement, a caret, row and column."""
    caret = " " * max(column - 1, 0) + "^"
    return f"\n{soql}\n{caret}\nERROR at Row:1:Column:{column}\n{message}"


def tokenize(soql: str) -> list[Token]:
    """Split a SOQL statement into tokens.

    Raises:
        SoqlError: ``MALFORMED_QUERY`` on a character no token starts with.
    """
    tokens = []
    pos = 0
    while pos < len(soql):
        match = _TOKEN_RE.match(soql, pos)
        if not match:
            raise _malformed(soql, pos + 1, f"unexpected token: '{soql[pos]}'")
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "string":
            tokens.append(Token(kind, _decode_string(text, pos + 1, soql), pos + 1))
        elif kind != "ws":
            tokens.append(Token(kind, text, pos + 1))
        pos = match.end()
    tokens.append(Token("eof", "<EOF>", len(soql) + 1))
    return tokens


class _Parser:
    """Recursive-descent parser over a token list."""

    def __init__(self, soql: str) -> None:
        self.soql = soql
        self.tokens = tokenize(soql)
        self.pos = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def word(self) -> str:
        tok = self.peek()
        return tok.text.lower() if tok.kind == "name" else ""

    def next(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def error(self, tok: Token | None = None) -> SoqlError:
        tok = tok or self.peek()
        return _malformed(self.soql, tok.column, f"unexpected token: '{tok.text}'")

    def expect_word(self, word: str) -> Token:
        if self.word() != word:
            raise self.error()
        return self.next()

    def expect_punct(self, text: str) -> None:
        tok = self.next()
        if tok.text != text or tok.kind != "punct":
            raise self.error(tok)

    def name(self) -> Token:
        tok = self.next()
        if tok.kind != "name" or tok.text.lower() in _KEYWORDS - {"first", "last", "count"}:
            raise self.error(tok)
        return tok

    def parse(self) -> tuple[Query, list[Token], Token]:
        self.expect_word("select")
        fields, count_only = self.select_list()
        self.expect_word("from")
        obj_tok = self.name()
        query = Query(obj_tok.text, [t.text for t in fields], count_only)
        if self.word() == "where":
            self.next()
            query.where = self.condition()
        if self.word() == "order":
            self.next()
            self.expect_word("by")
            query.order_by = self.order_list()
        if self.word() == "limit":
            self.next()
            query.limit = self.integer()
        if self.word() == "offset":
            self.next()
            query.offset = self.integer()
        if self.peek().kind != "eof":
            raise self.error()
        return query, fields, obj_tok

    def select_list(self) -> tuple[list[Token], bool]:
        if self.word() == "count" and self.tokens[self.pos + 1].text == "(":
            self.next()
            self.expect_punct("(")
            self.expect_punct(")")
            return [], True
        fields = [self.name()]
        while self.peek().text == ",":
            self.next()
            fields.append(self.name())
        return fields, False

    def integer(self) -> int:
        tok = self.next()
        if tok.kind != "number" or not tok.text.isdigit():
            raise self.error(tok)
        return int(tok.text)

    def order_list(self) -> list[tuple[str, bool, bool]]:
        items = []
        while True:
            name = self.name().text
            descending = False
            if self.word() in {"asc", "desc"}:
                descending = self.next().text.lower() == "desc"
            nulls_last = descending
            if self.word() == "nulls":
                self.next()
                if self.word() not in {"first", "last"}:
                    raise self.error()
                nulls_last = self.next().text.lower() == "last"
            items.append((name, descending, nulls_last))
            if self.peek().text != ",":
                return items
            self.next()

    def condition(self) -> tuple[Any, ...]:
        left = self.conjunction()
        if self.word() != "or":
            return left
        parts = [left]
        while self.word() == "or":
            self.next()
            parts.append(self.conjunction())
        return ("or", parts)

    def conjunction(self) -> tuple[Any, ...]:
        left = self.unary()
        if self.word() != "and":
            return left
        parts = [left]
        while self.word() == "and":
            self.next()
            parts.append(self.unary())
        return ("and", parts)

    def unary(self) -> tuple[Any, ...]:
        if self.word() == "not":
            self.next()
            return ("not", self.unary())
        if self.peek().text == "(":
            self.next()
            inner = self.condition()
            self.expect_punct(")")
            return inner
        return self.comparison()

    def comparison(self) -> tuple[Any, ...]:
        field_tok = self.name()
        word = self.word()
        if word == "like":
            self.next()
            return ("like", field_tok, self.literal())
        if word in {"in", "not"}:
            negate = word == "not"
            self.next()
            if negate:
                self.expect_word("in")
            return ("in", field_tok, self.literal_list(), negate)
        op_tok = self.next()
        if op_tok.kind != "op":
            raise self.error(op_tok)
        op = "!=" if op_tok.text == "<>" else op_tok.text
        return ("cmp", field_tok, op, self.literal())

    def literal_list(self) -> list[tuple[Any, Token]]:
        self.expect_punct("(")
        values = [self.literal()]
        while self.peek().text == ",":
            self.next()
            values.append(self.literal())
        self.expect_punct(")")
        return values

    def literal(self) -> tuple[Any, Token]:
        tok = self.next()
        if tok.kind == "string":
            return tok.text, tok
        if tok.kind == "number":
            return (float(tok.text) if "." in tok.text else int(tok.text)), tok
        if tok.kind == "date":
            return DateLit(tok.text), tok
        if tok.kind == "datetime":
            canonical = canonical_datetime(tok.text)
            if canonical is None:
                raise _malformed(
                    self.soql,
                    tok.column,
                    f"line 1:{tok.column} no viable alternative at character '{tok.text}'",
                )
            return DateTimeLit(canonical), tok
        word = tok.text.lower() if tok.kind == "name" else ""
        if word in {"true", "false"}:
            return word == "true", tok
        if word == "null":
            return None, tok
        raise self.error(tok)


def parse(soql: str) -> Query:
    """Parse a SOQL statement (syntax only; see :func:`compile_query` for names and types).

    Raises:
        SoqlError: ``MALFORMED_QUERY``.
    """
    return _Parser(soql).parse()[0]


@dataclass
class CompiledQuery:
    """A query checked against an object: canonical field names and a row predicate."""

    sobject: ObjectDef
    fields: list[str]
    count_only: bool
    predicate: Callable[[dict[str, Any]], bool] | None
    order_by: list[tuple[str, bool, bool, bool]]
    limit: int | None
    offset: int

    def run(self, records: Iterable[dict[str, Any]], include_deleted: bool) -> list[dict[str, Any]]:
        """Return the matching records, ordered and sliced."""
        rows = records if include_deleted else (r for r in records if not r.get("IsDeleted"))
        if self.predicate is not None:
            rows = filter(self.predicate, rows)
        result = list(rows)
        for name, descending, nulls_last, text in reversed(self.order_by):
            result = _sort(result, name, descending, nulls_last, text)
        end = None if self.limit is None else self.offset + self.limit
        if self.offset or end is not None:
            result = result[self.offset : end]
        return result


def _sort(
    rows: list[dict[str, Any]], name: str, descending: bool, nulls_last: bool, text: bool
) -> list[dict[str, Any]]:
    nulls = [r for r in rows if r.get(name) is None]
    values = [r for r in rows if r.get(name) is not None]
    if text:
        values.sort(key=lambda r: r[name].lower(), reverse=descending)
    else:
        values.sort(key=lambda r: r[name], reverse=descending)
    return values + nulls if nulls_last else nulls + values


class _Compiler:
    """Resolves names against an object and turns a condition tree into a predicate."""

    def __init__(self, soql: str, sobject: ObjectDef) -> None:
        self.soql = soql
        self.sobject = sobject

    def field(self, tok: Token) -> Any:
        fdef = self.sobject.get(tok.text)
        if fdef is None:
            if "." in tok.text:
                message = (
                    f"Didn't understand relationship '{tok.text.split('.')[0]}' in field path. "
                    "If you are attempting to use a custom relationship, be sure to append the "
                    "'__r' after the custom relationship name. Please reference your WSDL or the "
                    "describe call for the appropriate names."
                )
            else:
                message = (
                    f"No such column '{tok.text}' on entity '{self.sobject.name}'. If you are "
                    "attempting to use a custom field, be sure to append the '__c' after the "
                    "custom field name. Please reference your WSDL or the describe call for the "
                    "appropriate names."
                )
            raise SoqlError("INVALID_FIELD", _located(self.soql, tok.column, message))
        return fdef

    def value(self, fdef: Any, value: Any, tok: Token, op: str) -> Any:
        """Check a literal's type against the field and return the comparable value."""
        if value is None:
            if op not in {"=", "!=", "in"}:
                raise _malformed(self.soql, tok.column, f"unexpected token: '{tok.text}'")
            return None
        ftype = fdef.type
        ok, want = self._typed(ftype, value)
        if not ok:
            quoted = (
                "should be enclosed in quotes"
                if want in {"string", "id"}
                else "should not be enclosed in quotes"
            )
            message = (
                f"value of filter criterion for field '{fdef.name}' must be of type {want} "
                f"and {quoted}"
            )
            raise SoqlError("INVALID_FIELD", _located(self.soql, tok.column, message))
        if ftype in ID_TYPES:
            normal = ids.normalize(value)
            if normal is None:
                raise SoqlError(
                    "INVALID_QUERY_FILTER_OPERATOR",
                    _located(self.soql, tok.column, f"invalid ID field: {value}"),
                )
            return normal
        if isinstance(value, DateLit | DateTimeLit):
            return value.value
        if ftype in TEXT_TYPES:
            return value.lower()
        return value

    @staticmethod
    def _typed(ftype: str, value: Any) -> tuple[bool, str]:
        if ftype in TEXT_TYPES:
            return isinstance(value, str), "string"
        if ftype in ID_TYPES:
            return isinstance(value, str), "id"
        if ftype == "boolean":
            return isinstance(value, bool), "boolean"
        if ftype in NUMBER_TYPES:
            return isinstance(value, int | float) and not isinstance(value, bool), "number"
        if ftype == "date":
            return isinstance(value, DateLit), "date"
        return isinstance(value, DateTimeLit), "dateTime"

    def compile(self, node: tuple[Any, ...]) -> Callable[[dict[str, Any]], bool]:
        kind = node[0]
        if kind in {"and", "or"}:
            parts = [self.compile(p) for p in node[1]]
            if kind == "and":
                return lambda r: all(p(r) for p in parts)
            return lambda r: any(p(r) for p in parts)
        if kind == "not":
            inner = self.compile(node[1])
            return lambda r: not inner(r)
        if kind == "like":
            return self.like(node[1], node[2])
        if kind == "in":
            return self.in_list(node[1], node[2], node[3])
        return self.cmp(node[1], node[2], node[3])

    def _getter(self, fdef: Any) -> Callable[[dict[str, Any]], Any]:
        name = fdef.name
        if fdef.type in TEXT_TYPES:

            def text(r: dict[str, Any]) -> Any:
                v = r.get(name)
                return None if v is None else v.lower()

            return text
        if fdef.type == "boolean":
            return lambda r: bool(r.get(name))
        return lambda r: r.get(name)

    def cmp(self, tok: Token, op: str, lit: tuple[Any, Token]) -> Callable[[dict[str, Any]], bool]:
        fdef = self.field(tok)
        value = self.value(fdef, lit[0], lit[1], op)
        get = self._getter(fdef)
        if value is None:
            return (lambda r: get(r) is None) if op == "=" else (lambda r: get(r) is not None)
        if op == "=":
            return lambda r: get(r) == value
        if op == "!=":
            return lambda r: get(r) != value
        compare = {
            "<": lambda v: v < value,
            "<=": lambda v: v <= value,
            ">": lambda v: v > value,
            ">=": lambda v: v >= value,
        }[op]

        def ordered(r: dict[str, Any]) -> bool:
            v = get(r)
            return v is not None and compare(v)

        return ordered

    def in_list(
        self, tok: Token, lits: list[tuple[Any, Token]], negate: bool
    ) -> Callable[[dict[str, Any]], bool]:
        fdef = self.field(tok)
        values = {self.value(fdef, v, t, "in") for v, t in lits}
        get = self._getter(fdef)
        if negate:
            return lambda r: get(r) not in values
        return lambda r: get(r) in values

    def like(self, tok: Token, lit: tuple[Any, Token]) -> Callable[[dict[str, Any]], bool]:
        fdef = self.field(tok)
        if fdef.type not in TEXT_TYPES and fdef.type not in ID_TYPES:
            message = f"invalid operator on {fdef.type} field: LIKE"
            raise SoqlError(
                "INVALID_QUERY_FILTER_OPERATOR", _located(self.soql, tok.column, message)
            )
        if not isinstance(lit[0], str):
            raise _malformed(self.soql, lit[1].column, f"unexpected token: '{lit[1].text}'")
        pattern = _like_regex(lit[0])
        name = fdef.name
        return lambda r: r.get(name) is not None and pattern.match(r[name]) is not None


def _like_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z", re.IGNORECASE | re.DOTALL)


def compile_query(soql: str, objects: dict[str, ObjectDef]) -> CompiledQuery:
    """Parse ``soql`` and check it against the org's objects.

    Raises:
        SoqlError: ``MALFORMED_QUERY``, ``INVALID_TYPE``, ``INVALID_FIELD`` or
            ``INVALID_QUERY_FILTER_OPERATOR``, worded like the real org.
    """
    query, field_toks, obj_tok = _Parser(soql).parse()
    sobject = next((o for n, o in objects.items() if n.lower() == query.sobject.lower()), None)
    if sobject is None:
        message = (
            f"sObject type '{query.sobject}' is not supported. If you are attempting to use a "
            "custom object, be sure to append the '__c' after the entity name. Please reference "
            "your WSDL or the describe call for the appropriate names."
        )
        raise SoqlError("INVALID_TYPE", _located(soql, obj_tok.column, message))
    compiler = _Compiler(soql, sobject)
    fields = []
    for tok in field_toks:
        name = compiler.field(tok).name
        if name in fields:
            raise _malformed(soql, tok.column, f"duplicate field selected: {name}")
        fields.append(name)
    if query.offset > MAX_OFFSET:
        raise SoqlError(
            "NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}"
        )
    order = []
    for name, descending, nulls_last in query.order_by:
        fdef = compiler.field(Token("name", name, 1))
        order.append((fdef.name, descending, nulls_last, fdef.type in TEXT_TYPES))
    predicate = compiler.compile(query.where) if query.where else None
    return CompiledQuery(
        sobject, fields, query.count_only, predicate, order, query.limit, query.offset
    )
