"""A small parser for ForceManager's SQL-like `where` and `order` parameters.

Supported (docs/reference-forcemanager.md section 4): comparisons `= != <> < <= > >=`,
`[NOT] LIKE` with `%` and `_`, `IS [NOT] NULL`, `[NOT] IN (...)`, `AND`, `OR`, `NOT`,
parentheses, '...' and "..." string literals ('' escapes a quote), numbers, `true`/`false`, and
date literals (`YYYY-MM-DD HH:MM:SS` or ISO 8601, with or without fractional seconds and `Z`)
compared as instants. Reference fields compare by their integer id. Text comparisons ignore case,
like the SQL Server collation behind the real API. A comparison with a null field is false
(SQL's three-valued logic). Anything else raises `WhereSyntaxError`, answered with code 901.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crmsync_sandbox.exceptions import WhereSyntaxError
from crmsync_sandbox.forcemanager.timefmt import parse_timestamp, stored_moment

Predicate = Callable[[dict[str, Any]], bool]
#: Resolves a field name of the query to (stored key, kind); raises WhereSyntaxError if unknown.
FieldResolver = Callable[[str], tuple[str, str]]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op><=|>=|<>|!=|=|<|>)
      | (?P<paren>[(),])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"AND", "OR", "NOT", "LIKE", "IS", "NULL", "IN", "TRUE", "FALSE"}
_NUMERIC_KINDS = {"int", "decimal", "ref", "userid", "gender"}
_TEXT_KINDS = {"text", "hour", "list"}


@dataclass(frozen=True)
class _Token:
    kind: str  # string, number, op, paren, word, keyword, end
    text: str


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(source):
        if source[position:].strip() == "":
            break
        match = _TOKEN.match(source, position)
        if match is None:
            raise WhereSyntaxError(f"unexpected character at {position}")
        position = match.end()
        kind = match.lastgroup or ""
        text = match.group(kind)
        if kind == "word" and text.upper() in _KEYWORDS:
            tokens.append(_Token("keyword", text.upper()))
        else:
            tokens.append(_Token(kind, text))
    tokens.append(_Token("end", ""))
    return tokens


def compile_where(source: str, resolve: FieldResolver) -> Predicate:
    """Compile a `where` expression into a predicate over stored records.

    Args:
        source: The expression, e.g. `statusId=434 AND name LIKE 'Acme%'`.
        resolve: Maps a field name to its stored key and kind.

    Returns:
        A function telling whether a record matches.

    Raises:
        WhereSyntaxError: On a syntax error, unknown field or ill-typed literal.
    """
    parser = _Parser(_tokenize(source), resolve)
    predicate = parser.expression()
    parser.expect("end")
    return predicate


class _Parser:
    def __init__(self, tokens: list[_Token], resolve: FieldResolver) -> None:
        self.tokens = tokens
        self.index = 0
        self.resolve = resolve

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def accept(self, kind: str, text: str | None = None) -> bool:
        token = self.peek()
        if token.kind == kind and (text is None or token.text == text):
            self.index += 1
            return True
        return False

    def expect(self, kind: str, text: str | None = None) -> _Token:
        token = self.take()
        if token.kind != kind or (text is not None and token.text != text):
            raise WhereSyntaxError(f"expected {text or kind}, found {token.text or 'end'!r}")
        return token

    def expression(self) -> Predicate:
        terms = [self.conjunction()]
        while self.accept("keyword", "OR"):
            terms.append(self.conjunction())
        if len(terms) == 1:
            return terms[0]
        if all(isinstance(term, _Equals) for term in terms):
            fields = {(term.key, term.kind) for term in terms}  # type: ignore[union-attr]
            if len(fields) == 1:
                # `extId='a' OR extId='b' ...` (the target's lookups): one set test per record
                [(key, kind)] = fields
                return _Equals(key, kind, set().union(*(term.values for term in terms)))  # type: ignore[union-attr]
        return lambda record: any(term(record) for term in terms)

    def conjunction(self) -> Predicate:
        factors = [self.negation()]
        while self.accept("keyword", "AND"):
            factors.append(self.negation())
        if len(factors) == 1:
            return factors[0]
        return lambda record: all(factor(record) for factor in factors)

    def negation(self) -> Predicate:
        if self.accept("keyword", "NOT"):
            inner = self.negation()
            return lambda record: not inner(record)
        if self.accept("paren", "("):
            inner = self.expression()
            self.expect("paren", ")")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        token = self.expect("word")
        key, kind = self.resolve(token.text)
        if self.accept("keyword", "IS"):
            negated = self.accept("keyword", "NOT")
            self.expect("keyword", "NULL")
            if negated:
                return lambda record: record.get(key) is not None
            return lambda record: record.get(key) is None
        negated = self.accept("keyword", "NOT")
        if self.accept("keyword", "LIKE"):
            return _like(key, kind, self.literal(), negated)
        if self.accept("keyword", "IN"):
            return _in(key, kind, self.literal_list(), negated)
        if negated:
            raise WhereSyntaxError("NOT must be followed by LIKE or IN here")
        operator = self.expect("op").text
        return _compare(key, kind, operator, self.literal())

    def literal(self) -> _Token:
        token = self.take()
        if token.kind in {"string", "number"} or (
            token.kind == "keyword" and token.text in {"TRUE", "FALSE", "NULL"}
        ):
            return token
        raise WhereSyntaxError(f"expected a value, found {token.text or 'end'!r}")

    def literal_list(self) -> list[_Token]:
        self.expect("paren", "(")
        values = [self.literal()]
        while self.accept("paren", ","):
            values.append(self.literal())
        self.expect("paren", ")")
        return values


def _unquote(token: _Token) -> str:
    quote = token.text[0]
    return token.text[1:-1].replace(quote * 2, quote)


def _coerce(kind: str, token: _Token) -> Any:
    """The literal as the Python value a stored field of `kind` compares with."""
    if token.kind == "keyword" and token.text == "NULL":
        return None
    text = _unquote(token) if token.kind == "string" else token.text
    if kind in _NUMERIC_KINDS:
        try:
            number = float(text)
        except ValueError:
            raise WhereSyntaxError(f"{text!r} is not a number") from None
        return int(number) if number.is_integer() and kind != "decimal" else number
    if kind == "bool":
        lowered = text.lower()
        if lowered in {"true", "1"}:
            return True
        if lowered in {"false", "0"}:
            return False
        raise WhereSyntaxError(f"{text!r} is not a boolean")
    if kind == "datetime":
        moment = parse_timestamp(text)
        if moment is None:
            raise WhereSyntaxError(f"{text!r} is not a date")
        return moment
    return text.casefold()


def _getter(key: str, kind: str) -> Callable[[dict[str, Any]], Any]:
    if kind == "datetime":

        def get_moment(record: dict[str, Any]) -> datetime | None:
            value = record.get(key)
            return None if value is None else stored_moment(value)

        return get_moment
    if kind in _TEXT_KINDS:

        def get_text(record: dict[str, Any]) -> str | None:
            value = record.get(key)
            return None if value is None else str(value).casefold()

        return get_text
    if kind in ("ref", "gender"):

        def get_ref(record: dict[str, Any]) -> Any:
            value = record.get(key)
            return value["id"] if isinstance(value, dict) else value

        return get_ref
    return lambda record: record.get(key)


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class _Equals:
    """`field = value` (or several values of one field ORed): a set test."""

    def __init__(self, key: str, kind: str, values: set[Any]) -> None:
        self.key, self.kind, self.values = key, kind, values
        self.get = _getter(key, kind)

    def __call__(self, record: dict[str, Any]) -> bool:
        value = self.get(record)
        return value is not None and value in self.values


def _compare(key: str, kind: str, operator: str, token: _Token) -> Predicate:
    expected = _coerce(kind, token)
    if expected is None:  # `x = NULL` is never true in SQL
        return lambda _record: False
    if operator == "=":
        return _Equals(key, kind, {expected})
    get = _getter(key, kind)
    test = _OPERATORS[operator]

    def predicate(record: dict[str, Any]) -> bool:
        value = get(record)
        return value is not None and test(value, expected)

    return predicate


def _like(key: str, kind: str, token: _Token, negated: bool) -> Predicate:
    if token.kind != "string":
        raise WhereSyntaxError("LIKE needs a quoted pattern")
    if kind not in _TEXT_KINDS:
        raise WhereSyntaxError("LIKE applies to text fields only")
    pattern = "".join(
        ".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in _unquote(token)
    )
    regex = re.compile(pattern, re.IGNORECASE | re.DOTALL)
    get = _getter(key, kind)

    def predicate(record: dict[str, Any]) -> bool:
        value = get(record)
        return value is not None and (regex.fullmatch(value) is None) == negated

    return predicate


def _in(key: str, kind: str, tokens: list[_Token], negated: bool) -> Predicate:
    values = {_coerce(kind, token) for token in tokens} - {None}
    get = _getter(key, kind)

    def predicate(record: dict[str, Any]) -> bool:
        value = get(record)
        return value is not None and (value in values) != negated

    return predicate


@dataclass(frozen=True)
class OrderTerm:
    """One `order` key: the stored key, its kind and the direction."""

    key: str
    kind: str
    descending: bool


def parse_order(source: str, resolve: FieldResolver) -> list[OrderTerm]:
    """Parse `order`: comma-separated `field [ASC|DESC]`; a bare field sorts descending.

    Args:
        source: The parameter, e.g. `dateCreated` or `name ASC, id DESC`.
        resolve: Maps a field name to its stored key and kind.

    Returns:
        The sort keys, most significant first.

    Raises:
        WhereSyntaxError: On an unknown field or a bad direction.
    """
    terms: list[OrderTerm] = []
    for part in source.split(","):
        words = part.split()
        if not words or len(words) > 2:
            raise WhereSyntaxError(f"bad order term {part!r}")
        direction = words[1].upper() if len(words) == 2 else "DESC"
        if direction not in {"ASC", "DESC"}:
            raise WhereSyntaxError(f"bad order direction {words[1]!r}")
        key, kind = resolve(words[0])
        terms.append(OrderTerm(key, kind, direction == "DESC"))
    return terms


def sort_records(records: list[dict[str, Any]], terms: list[OrderTerm]) -> list[dict[str, Any]]:
    """Sort records by `order` terms; nulls sort lowest, ties keep id order.

    Args:
        records: Records in id order.
        terms: The sort keys.

    Returns:
        A new sorted list.
    """
    ordered = list(records)
    for term in reversed(terms):
        get = _getter(term.key, term.kind)

        def sort_key(record: dict[str, Any], get: Callable[[dict[str, Any]], Any] = get) -> Any:
            value = get(record)
            return (value is not None, value if value is not None else 0)

        ordered.sort(key=sort_key, reverse=term.descending)
    return ordered
