"""NGSI-LD plumbing (ETSI GS CIM 009, `data/ngsi_ld.yaml`): the error types as ProblemDetails, the JSON-LD
@context of a request (the core context, the park's served context, or terms given inline) expanding and compacting
terms, and the query language `q` parsed and evaluated over an entity's attributes.

The platform never fetches a remote @context (parks run on closed intranets): a context is the core context's URL,
the park's own (`…/ngsi-ld/v1/context.jsonld`), an inline object of terms, or a list of those; any other URL is
`LdContextNotAvailable`."""

from __future__ import annotations

import contextvars
import dataclasses
import re
from functools import cache
from importlib import resources
from typing import Any

import regex
import yaml

CONTEXT_PATH = "/ngsi-ld/v1/context.jsonld"
MAX_Q = 2000  # characters of a q expression
MAX_Q_TERMS = 50  # comparisons in one q expression


@cache
def spec() -> dict[str, Any]:
    text = resources.files("digipark.dataspace").joinpath("data/ngsi_ld.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


LANGUAGE: contextvars.ContextVar[str | None] = contextvars.ContextVar("ngsi_problem_language", default=None)
"""The language a request's ProblemDetails are written in (set by the NGSI-LD routes; None: English)."""


class NgsiError(Exception):
    """An NGSI-LD error: its type is one of the spec's (`errors` in the data file), answered as ProblemDetails. The
    detail is a message of the data space's catalogue with its values (`params`), translated into the request's
    language (`LANGUAGE`) when it has one."""

    def __init__(self, kind: str, detail: str, *, status: int | None = None, **params: Any) -> None:
        super().__init__(detail % params if params else detail)
        known = spec()["errors"][kind]
        self.kind, self.template, self.params = kind, detail, params
        self.detail = detail % params if params else detail
        self.status = status or int(known["status"])
        self.title = str(known["title"])

    def translated(self, lang: str | None) -> str:
        if not lang or lang == "en":
            return self.detail
        from digipark.web.i18n import translations

        text: str = translations(lang).gettext(self.template)
        try:
            return text % self.params if self.params else text
        except (KeyError, TypeError, ValueError):  # a translation that lost a value: the English detail
            return self.detail

    def problem(self, lang: str | None = None) -> dict[str, Any]:
        return {
            "type": spec()["error_base"] + self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.translated(lang or LANGUAGE.get()),
        }


def bad(detail: str, **params: Any) -> NgsiError:
    return NgsiError("BadRequestData", detail, **params)


# -- @context --------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Context:
    """Terms -> IRIs of one request's @context; `document` is what a response's @context (or Link) repeats."""

    terms: dict[str, str]
    vocab: str
    document: Any

    def expand(self, term: str) -> str:
        if term in self.terms:
            return self.terms[term]
        prefix, sep, rest = term.partition(":")
        if sep and prefix in self.terms:
            return self.terms[prefix] + rest
        if sep and (rest.startswith("//") or prefix == "urn"):
            return term  # already an IRI
        return self.vocab + term

    def compact(self, iri: str) -> str:
        reverse = self.__dict__.get("_reverse")
        if reverse is None:
            reverse = {}
            for term, value in self.terms.items():
                reverse.setdefault(value, term)
            object.__setattr__(self, "_reverse", reverse)
        if iri in reverse:
            return str(reverse[iri])
        if iri.startswith(self.vocab) and len(iri) > len(self.vocab):
            return iri[len(self.vocab) :]
        return iri


def platform_terms() -> dict[str, str]:
    return {**spec()["core_terms"], **spec()["platform_terms"]}


def served_context(base: str) -> dict[str, Any]:
    """The park's @context document: the core context and the Smart Data Models terms the platform maps."""
    return {"@context": [spec()["core_context"], dict(spec()["platform_terms"])]}


def platform_context(base: str) -> Context:
    return Context(dict(platform_terms()), spec()["default_vocab"], [base + CONTEXT_PATH])


def core_context() -> Context:
    return Context(dict(spec()["core_terms"]), spec()["default_vocab"], spec()["core_context"])


def resolve(document: Any, base: str) -> Context:
    """The context of `document` (a URL, an inline object or a list of them) with the core context under it."""
    entries = document if isinstance(document, list) else [document]
    if len(entries) > 20:
        raise bad("an @context of more than 20 entries")
    terms: dict[str, str] = dict(spec()["core_terms"])
    vocab = str(spec()["default_vocab"])
    for entry in entries:
        if isinstance(entry, str):
            if entry == spec()["core_context"]:
                continue
            if entry.endswith(CONTEXT_PATH):
                terms.update(spec()["platform_terms"])
                continue
            raise NgsiError(
                "LdContextNotAvailable",
                "the @context %(entry)s is not one the platform holds (no remote fetch)",
                entry=entry[:200],
            )
        if not isinstance(entry, dict):
            raise bad("an @context entry is a URL or an object of terms")
        for term, value in entry.items():
            if term == "@vocab" and isinstance(value, str):
                vocab = value
            elif isinstance(value, str) and not term.startswith("@"):
                terms[term] = value
            elif isinstance(value, dict) and isinstance(value.get("@id"), str):
                terms[term] = value["@id"]
    for term, value in list(terms.items()):  # compact IRIs of prefixes defined in the same context
        prefix, sep, rest = value.partition(":")
        if sep and prefix in terms and not rest.startswith("//"):
            terms[term] = terms[prefix] + rest
    return Context(terms, vocab, document)


_LINK = re.compile(r'<([^>]*)>\s*((?:;\s*[A-Za-z]+\s*=\s*(?:"[^"]*"|[^;,]*)\s*)*)')


def link_context(header: str | None) -> str | None:
    """The @context URL of a Link header with the JSON-LD context relation (None without one)."""
    if not header:
        return None
    found = [m for m in _LINK.finditer(header) if spec()["context_rel"] in m.group(2)]
    if len(found) > 1:
        raise bad("more than one JSON-LD context Link header")
    if not found and "<" in header and spec()["context_rel"] not in header:
        return None
    if not found:
        raise bad("the Link header cannot be read")
    return found[0].group(1).strip()


# -- the query language ------------------------------------------------------------------------------------------
_TOKEN = re.compile(
    r'\s*(?:(?P<op>==|!=|>=|<=|!~=|~=|>|<)|(?P<paren>[()])|(?P<logic>[;|])|(?P<str>"(?:[^"\\]|\\.)*")'
    r"|(?P<atom>[^\s;|()=!<>~\"]+))"
)


@dataclasses.dataclass(frozen=True)
class Comparison:
    path: tuple[str, ...]  # attribute, then sub-attribute names
    keys: tuple[str, ...]  # keys inside a compound value (`attr[a.b]`)
    op: str | None  # None: the attribute exists
    value: Any = None


@dataclasses.dataclass(frozen=True)
class Logic:
    op: str  # "and" | "or"
    parts: tuple[Any, ...]


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise bad("q: cannot read %(text)s", text=repr(text[pos : pos + 20]))
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _literal(text: str) -> Any:
    if text.startswith('"'):
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return text  # a date-time or another unquoted literal
    if number != number or number in (float("inf"), float("-inf")):
        raise bad("q: %(text)s is no number", text=text)
    return number


def _atom_value(raw: str) -> Any:
    if ".." in raw:
        low, _, high = raw.partition("..")
        return ("range", _literal(low), _literal(high))
    return _literal(raw)


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.pos, self.terms = tokens, 0, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise bad("q: unexpected end")
        self.pos += 1
        return token

    def query(self) -> Any:
        parts = [self.conjunction()]
        while (token := self.peek()) is not None and token == ("logic", "|"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Logic("or", tuple(parts))

    def conjunction(self) -> Any:
        parts = [self.term()]
        while (token := self.peek()) is not None and token == ("logic", ";"):
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Logic("and", tuple(parts))

    def term(self) -> Any:
        kind, text = self.take()
        if (kind, text) == ("paren", "("):
            inner = self.query()
            if self.take() != ("paren", ")"):
                raise bad("q: a parenthesis is not closed")
            return inner
        if kind != "atom":
            raise bad("q: an attribute expected, not %(text)s", text=repr(text))
        self.terms += 1
        if self.terms > MAX_Q_TERMS:
            raise NgsiError("TooComplexQuery", "q: more than %(value)s comparisons", value=MAX_Q_TERMS)
        path, keys = _path(text)
        token = self.peek()
        if token is None or token[0] != "op":
            return Comparison(path, keys, None)
        op = self.take()[1]
        return Comparison(path, keys, op, self.value(op))

    def value(self, op: str) -> Any:
        """A value, a range `a..b` or a list `a,b,"c"`."""
        items: list[Any] = []
        while True:
            kind, text = self.take()
            if kind == "str":
                items.append(_literal(text))
            elif kind == "atom":
                items.extend(_atom_value(piece) for piece in text.split(",") if piece)
            else:
                raise bad("q: a value expected after %(op)s", op=op)
            nxt = self.peek()
            if nxt is not None and ((text.endswith(",") and nxt[0] in ("str", "atom")) or nxt[1].startswith(",")):
                continue
            break
        if not items:
            raise bad("q: a value expected after %(op)s", op=op)
        return items[0] if len(items) == 1 else ("list", *items)


def _path(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    name, _, inner = text.partition("[")
    keys: tuple[str, ...] = ()
    if inner:
        if not inner.endswith("]"):
            raise bad("q: %(text)s has an unclosed [", text=text)
        keys = tuple(inner[:-1].split("."))
    path = tuple(name.split("."))
    if not all(path) or not all(keys) or len(path) > 3:
        raise bad("q: %(text)s is no attribute path", text=text)
    return path, keys


def parse_q(text: str) -> Any:
    if len(text) > MAX_Q:
        raise NgsiError("TooComplexQuery", "q of more than %(value)s characters", value=MAX_Q)
    parser = _Parser(_tokens(text))
    tree = parser.query()
    if parser.peek() is not None:
        raise bad("q: unexpected %(parser)s", parser=repr(parser.peek()[1]))  # type: ignore[index]
    return tree


def _attribute_value(attrs: dict[str, Any], comparison: Comparison, context: Context) -> tuple[bool, Any]:
    attribute = attrs.get(context.expand(comparison.path[0]))
    if isinstance(attribute, list):
        attribute = attribute[0] if attribute else None
    if not isinstance(attribute, dict):
        return False, None
    node: Any = attribute
    for sub in comparison.path[1:]:
        name = sub if sub in spec()["reserved_attribute"] else context.expand(sub)
        if not isinstance(node, dict) or name not in node:
            return False, None
        node = node[name]
    if isinstance(node, dict):
        node = node.get("object") if node.get("type") == "Relationship" else node.get("value", node)
    for key in comparison.keys:
        if not isinstance(node, dict) or key not in node:
            return False, None
        node = node[key]
    return True, node


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


PATTERN_SECONDS = 0.05  # a caller's regular expression gets this long per value (catastrophic backtracking)


def user_pattern(source: str, parameter: str) -> regex.Pattern[str]:
    """A regular expression a caller sent, compiled; each search with `timeout=PATTERN_SECONDS` raises
    TimeoutError when it runs too long."""
    try:
        return regex.compile(source)
    except regex.error as exc:
        raise bad(
            "%(parameter)s: %(source)s is no regular expression", parameter=parameter, source=repr(source)
        ) from exc


def _compare(left: Any, op: str, right: Any) -> bool:
    if isinstance(left, list):
        return any(_compare(item, op, right) for item in left)
    if isinstance(right, tuple) and right[0] == "list":
        hit = any(_compare(left, "==", r) for r in right[1:])
        return hit if op == "==" else not hit if op == "!=" else False
    if isinstance(right, tuple) and right[0] == "range":
        inside = _compare(left, ">=", right[1]) and _compare(left, "<=", right[2])
        return inside if op == "==" else not inside if op == "!=" else False
    if op in ("~=", "!~="):
        if not isinstance(left, str) or not isinstance(right, str):
            return False
        found = user_pattern(right, "q").search(left, timeout=PATTERN_SECONDS) is not None
        return found if op == "~=" else not found
    comparable = (_number(left) and _number(right)) or type(left) is type(right)
    if op == "==":
        return comparable and left == right
    if op == "!=":
        return not comparable or left != right
    if not comparable:
        return False
    try:
        return bool({">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[op])
    except TypeError:
        return False


def matches(tree: Any, attrs: dict[str, Any], context: Context) -> bool:
    """Whether an entity's attributes (expanded names) satisfy the parsed q."""
    if isinstance(tree, Logic):
        test = all if tree.op == "and" else any
        return test(matches(part, attrs, context) for part in tree.parts)
    found, value = _attribute_value(attrs, tree, context)
    if tree.op is None or not found:
        return found and tree.op is None
    return _compare(value, tree.op, tree.value)
