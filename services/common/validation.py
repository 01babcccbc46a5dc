"""Parse request bodies, forms and queries through pydantic models, with French messages."""

import json
import math
import re
import uuid
from collections.abc import Mapping
from typing import Any, TypeVar, get_args, get_origin

from aiohttp import web
from pydantic import BaseModel, ValidationError

from services.common.errors import BadRequest, NotFound, UnsupportedMediaType, ValidationFailed
from services.common.text import PATTERN_MESSAGES

M = TypeVar("M", bound=BaseModel)

# pydantic error type → French message; `{…}` placeholders come from the error's context.
MESSAGES: dict[str, str] = {
    "missing": "Ce champ est obligatoire.",
    "string_type": "Ce champ doit être un texte.",
    "string_too_short": "Ce champ doit contenir au moins {min_length} caractère(s).",
    "string_too_long": "Ce champ doit contenir au plus {max_length} caractères.",
    "string_pattern_mismatch": "Le format de ce champ est invalide.",
    "too_short": "Cette liste doit contenir au moins {min_length} élément(s).",
    "too_long": "Cette liste doit contenir au plus {max_length} éléments.",
    "int_type": "Ce champ doit être un nombre entier.",
    "int_parsing": "Ce champ doit être un nombre entier.",
    "int_from_float": "Ce champ doit être un nombre entier.",
    "int_parsing_size": "Ce nombre est trop long.",
    "float_parsing": "Ce champ doit être un nombre.",
    "float_type": "Ce champ doit être un nombre.",
    "bool_type": "Ce champ doit valoir oui ou non.",
    "bool_parsing": "Ce champ doit valoir oui ou non.",
    "greater_than": "La valeur doit être supérieure à {gt}.",
    "greater_than_equal": "La valeur doit être supérieure ou égale à {ge}.",
    "less_than": "La valeur doit être inférieure à {lt}.",
    "less_than_equal": "La valeur doit être inférieure ou égale à {le}.",
    "date_type": "Date invalide (format attendu : AAAA-MM-JJ).",
    "date_parsing": "Date invalide (format attendu : AAAA-MM-JJ).",
    "date_from_datetime_parsing": "Date invalide (format attendu : AAAA-MM-JJ).",
    "date_from_datetime_inexact": "Date invalide (format attendu : AAAA-MM-JJ).",
    "datetime_parsing": "Date et heure invalides.",
    "datetime_type": "Date et heure invalides.",
    "time_parsing": "Heure invalide (format attendu : HH:MM).",
    "uuid_parsing": "Identifiant invalide.",
    "uuid_type": "Identifiant invalide.",
    "enum": "Valeur non autorisée (valeurs possibles : {expected}).",
    "literal_error": "Valeur non autorisée (valeurs possibles : {expected}).",
    "extra_forbidden": "Ce champ n'est pas autorisé.",
    "model_type": "Ce champ doit être un objet.",
    "model_attributes_type": "Ce champ doit être un objet.",
    "dict_type": "Ce champ doit être un objet.",
    "list_type": "Ce champ doit être une liste.",
    "json_invalid": "JSON invalide.",
    "value_error": "{message}",
    "assertion_error": "{message}",
}
DEFAULT_MESSAGE = "Valeur invalide."


_DIGITS = re.compile(r"[0-9]{1,9}")


def digits(text: str | None) -> int | None:
    """The whole number `text` writes in ASCII digits (nine at most), else None. Not
    `isdigit()`, which « ² » or « ٣ » pass and `int()` then refuses or reads."""
    if text is None or not _DIGITS.fullmatch(text):
        return None
    return int(text)


def french_message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = dict(error.get("ctx") or {})
    if kind == "value_error" and "email address" in str(error.get("msg", "")):
        return "Adresse e-mail invalide."
    if kind in ("value_error", "assertion_error"):
        # Our validators raise ValueError with a French message; pydantic prefixes it.
        text = str(error.get("msg", ""))
        return text.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in PATTERN_MESSAGES:
        return PATTERN_MESSAGES[str(ctx["pattern"])]
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return MESSAGES["missing"]  # an empty field reads as a missing one
    template = MESSAGES.get(kind)
    if template is None:
        return DEFAULT_MESSAGE
    if "expected" in ctx:
        choices = [f"« {c} »" for c in re.findall(r"'([^']*)'", str(ctx["expected"]))]
        if choices:
            ctx["expected"] = (", ".join(choices[:-1]) + " ou " + choices[-1]
                               if len(choices) > 1 else choices[0])
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return DEFAULT_MESSAGE


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """One entry per invalid field: its dotted path and a French message."""
    out: list[dict[str, str]] = []
    for error in exc.errors(include_url=False):
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query")]
        out.append({"field": ".".join(loc) or "_", "message": french_message(error)})
    return out


def validate(model: type[M], data: Any) -> M:
    """`model` from already-decoded data, or a 422 with the French field errors. A NUL that
    the model's own types let through (a plain `str`, a key) is refused too, by its field:
    no text of ours may hold one (PostgreSQL refuses it)."""
    try:
        value = model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(errors=field_errors(exc)) from exc
    path = _nul_in(value.model_dump())
    if path is not None:
        raise ValidationFailed(errors=[{"field": ".".join(path) or "_",
                                        "message": NUL_MESSAGE}])
    return value


# No request of ours nests deeper, nor needs a longer number (money is in cents); beyond,
# Python's own limits would answer a 500 (RecursionError, int() of more than 4,300 digits),
# and an unbounded integer field would overflow PostgreSQL's.
MAX_DEPTH = 32
MAX_INTEGER_DIGITS = 18
MAX_NUMBER_LENGTH = 40
NOT_JSON = "Le corps de la demande n'est pas un JSON valide."
TOO_DEEP = "Le corps de la demande est trop imbriqué."
NESTED_TOO_DEEP = "Ce champ est trop imbriqué."
NUMBER_TOO_LONG = "Ce nombre est trop long."
NUL_MESSAGE = "Ce champ contient un caractère nul, non autorisé."


class _TooLong:
    """Stands, in a decoded body, for a number refused before Python converts it."""


_TOO_LONG = _TooLong()


def _integer(literal: str) -> int | _TooLong:
    return _TOO_LONG if len(literal.lstrip("-")) > MAX_INTEGER_DIGITS else int(literal)


def _number(literal: str) -> float | _TooLong:
    value = float(literal) if len(literal) <= MAX_NUMBER_LENGTH else math.inf
    return value if math.isfinite(value) else _TOO_LONG


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity: Python's extension, not JSON


def loads(text: str) -> Any:
    """A request body decoded. Unreadable — not JSON, `NaN`, or nested beyond what Python's
    parser follows — a 400 in French; readable but nested deeper than `MAX_DEPTH`, or with a
    number longer than JSON's ordinary use (or out of range), a 422 naming where."""
    try:
        data = json.loads(text, parse_int=_integer, parse_float=_number,
                          parse_constant=_constant)
    except RecursionError as exc:
        raise BadRequest(TOO_DEEP) from exc
    except ValueError as exc:  # json.JSONDecodeError included
        raise BadRequest(NOT_JSON) from exc
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while stack:  # walked without recursion, whatever the document
        value, path = stack.pop()
        message = (NESTED_TOO_DEEP if len(path) > MAX_DEPTH
                   else NUMBER_TOO_LONG if value is _TOO_LONG else None)
        if message is not None:
            raise ValidationFailed(errors=[{"field": ".".join(path) or "_", "message": message}])
        stack.extend(_children(value, path))
    return data


def _children(value: Any, path: tuple[str, ...]) -> list[tuple[Any, tuple[str, ...]]]:
    if isinstance(value, dict):
        return [(item, (*path, str(key))) for key, item in value.items()]
    if isinstance(value, list | tuple):
        return [(item, (*path, str(i))) for i, item in enumerate(value)]
    return []


def _nul_in(data: Any) -> tuple[str, ...] | None:
    """The path of the first key or string holding a NUL, walked without recursion."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            return path
        if isinstance(value, dict):
            for key in value:
                if isinstance(key, str) and "\x00" in key:
                    return (*path, key.replace("\x00", ""))
        stack.extend(_children(value, path))
    return None


async def parse_body(request: web.Request, model: type[M]) -> M:
    """A JSON body validated by `model`; 415 if not JSON, 400 if unreadable (see `loads`),
    422 if invalid."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType(detail="Le corps de la demande doit être du JSON.")
    try:
        text = await request.text()
    except UnicodeDecodeError as exc:
        raise BadRequest(NOT_JSON) from exc
    return validate(model, loads(text))


def parse_query(request: web.Request, model: type[M]) -> M:
    """The query string validated by `model`: a key repeated, or read by a list field, gives
    a list (`?id=a&id=b`)."""
    data: dict[str, Any] = {}
    for key in request.query:
        values = request.query.getall(key)
        field = model.model_fields.get(key)
        wants_list = field is not None and _is_list(field.annotation)
        data[key] = values if wants_list or len(values) > 1 else values[0]
    return validate(model, data)


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) in (list, tuple, set, frozenset):
        return True
    return any(_is_list(arg) for arg in get_args(annotation) if arg is not type(None))


def path_uuid(request: web.Request, name: str) -> uuid.UUID:
    """A uuid from the path; anything else answers 404, as an id that does not exist."""
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError as exc:
        raise NotFound() from exc
