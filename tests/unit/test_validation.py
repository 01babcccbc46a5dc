"""Validation errors become French messages, one per field."""

import datetime
import uuid
from typing import Literal

import pytest
from pydantic import BaseModel, EmailStr, Field, field_validator

from services.common.errors import ValidationFailed
from services.common.validation import validate


class Child(BaseModel):
    first_name: str = Field(min_length=1, max_length=5)
    birth_date: datetime.date
    sex: Literal["F", "M"]
    email: EmailStr | None = None
    id: uuid.UUID | None = None

    @field_validator("birth_date")
    @classmethod
    def in_the_past(cls, value: datetime.date) -> datetime.date:
        if value > datetime.date.today():
            raise ValueError("La date de naissance ne peut pas être dans le futur.")
        return value


def errors_of(data: object) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        validate(Child, data)
    assert caught.value.status == 422
    assert caught.value.errors is not None
    return {e["field"]: e["message"] for e in caught.value.errors}


def test_missing_fields_are_named() -> None:
    assert errors_of({}) == {
        "first_name": "Ce champ est obligatoire.",
        "birth_date": "Ce champ est obligatoire.",
        "sex": "Ce champ est obligatoire.",
    }


def test_each_kind_of_error_has_its_french_message() -> None:
    assert errors_of({"first_name": "Maximilien", "birth_date": "31/12/2020", "sex": "X",
                      "email": "pas-une-adresse", "id": "42"}) == {
        "first_name": "Ce champ doit contenir au plus 5 caractères.",
        "birth_date": "Date invalide (format attendu : AAAA-MM-JJ).",
        "sex": "Valeur non autorisée (valeurs possibles : « F » ou « M »).",
        "email": "Adresse e-mail invalide.",
        "id": "Identifiant invalide.",
    }


def test_a_validator_message_is_shown_as_written() -> None:
    assert errors_of({"first_name": "Léa", "birth_date": "2999-01-01", "sex": "F"}) == {
        "birth_date": "La date de naissance ne peut pas être dans le futur."}


def test_a_body_that_is_not_an_object_is_refused() -> None:
    assert errors_of(["a"]) == {"_": "Ce champ doit être un objet."}


def test_valid_data_passes() -> None:
    child = validate(Child, {"first_name": "Léa", "birth_date": "2020-05-01", "sex": "F"})
    assert child.birth_date == datetime.date(2020, 5, 1)


def test_an_empty_required_text_reads_as_missing() -> None:
    assert errors_of({"first_name": "", "birth_date": "2020-05-01", "sex": "F"}) == {
        "first_name": "Ce champ est obligatoire."}
