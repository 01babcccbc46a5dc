"""The kernel's text types and JSON body decoding: control characters, NUL, depth, numbers."""

from typing import Annotated, Any

import pytest
from pydantic import BaseModel, StringConstraints

from services.common.errors import BadRequest, ValidationFailed
from services.common.text import SingleLine, Text, is_single_line
from services.common.validation import loads, validate

SINGLE_LINE = ("Ce champ ne doit contenir ni retour à la ligne ni caractère de contrôle "
               "ou invisible.")
TEXT = "Ce champ contient un caractère de contrôle ou invisible non autorisé."


class Sample(BaseModel):
    name: Annotated[SingleLine, StringConstraints(strip_whitespace=True, max_length=20)] = "x"
    note: Text = ""


def errors(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        validate(Sample, data)
    return {e["field"]: e["message"] for e in caught.value.errors or []}


@pytest.mark.parametrize("char", ["\x00", "\r", "\n", "\t", "\x1b", "\x7f", "\x85", "\u2028",
                                  "\u2029", "\u202a", "\u202e", "\u2066", "\u2069"])
def test_a_single_line_refuses_control_and_invisible_characters(char: str) -> None:
    assert errors({"name": f"Lé{char}a"}) == {"name": SINGLE_LINE}
    assert not is_single_line(f"Lé{char}a")


@pytest.mark.parametrize("char", ["\x00", "\x0b", "\x1b", "\x7f", "\x9f", "\u202e", "\u2067"])
def test_a_text_refuses_control_characters_other_than_line_breaks(char: str) -> None:
    assert errors({"note": f"ligne{char}"}) == {"note": TEXT}


def test_ordinary_text_is_kept() -> None:
    sample = validate(Sample, {"name": "  Zoé-Ève d'Aÿ ", "note": "Arachide\r\n\tgluten ½ ²"})
    assert (sample.name, sample.note) == ("Zoé-Ève d'Aÿ", "Arachide\r\n\tgluten ½ ²")


def test_lengths_still_speak_french_after_the_pattern() -> None:
    assert errors({"name": "x" * 21}) == {"name": "Ce champ doit contenir au plus 20 caractères."}


@pytest.mark.parametrize(("raw", "message"), [
    ("[" * 100_000 + "]" * 100_000, "Le corps de la demande est trop imbriqué."),
    ("NaN", "Le corps de la demande n'est pas un JSON valide."),
    ("{", "Le corps de la demande n'est pas un JSON valide."),
])
def test_unreadable_json_is_a_french_400(raw: str, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        loads(raw)
    assert (caught.value.status, caught.value.title) == (400, message)


@pytest.mark.parametrize(("raw", "field", "message"), [
    ("[" * 40 + "]" * 40, ".".join(["0"] * 33), "Ce champ est trop imbriqué."),
    ("1" * 5000, "_", "Ce nombre est trop long."),
    ('{"a": [-' + "1" * 19 + "]}", "a.0", "Ce nombre est trop long."),
    ('{"a": {"b": 1e999}}', "a.b", "Ce nombre est trop long."),
    ('{"a": 1' + "0" * 60 + ".5}", "a", "Ce nombre est trop long."),
])
def test_absurd_json_is_a_french_422_naming_where(raw: str, field: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        loads(raw)
    assert caught.value.errors == [{"field": field, "message": message}]


class Anything(BaseModel):
    password: str = ""
    data: dict[str, Any] = {}


@pytest.mark.parametrize(("data", "field"), [
    ({"password": "mot de\x00passe"}, "password"),
    ({"data": {"b": ["x\x00"]}}, "data.b.0"),
    ({"data": {"a\x00b": 1}}, "data.ab"),
])
def test_a_nul_that_a_type_lets_through_is_a_422_naming_the_field(
        data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate(Anything, data)
    assert caught.value.errors == [
        {"field": field, "message": "Ce champ contient un caractère nul, non autorisé."}]


def test_a_nul_in_a_typed_text_is_said_by_its_type() -> None:
    assert errors({"name": "Lé\x00a"}) == {"name": SINGLE_LINE}


def test_ordinary_json_is_decoded() -> None:
    assert loads('{"qf": 620, "montant": -123456789012345678, "taux": 0.5, "l": [[1]]}') == {
        "qf": 620, "montant": -123456789012345678, "taux": 0.5, "l": [[1]]}
