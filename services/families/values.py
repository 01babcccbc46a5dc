"""Files as flat field → value maps: French labels, field-level diffs, merging of proposals."""

from collections.abc import Mapping
from typing import Any

import asyncpg
from pydantic import BaseModel

from services.common.errors import ValidationFailed

# Every field a change request may carry, in display order, with its French label.
FAMILY_LABELS: dict[str, str] = {
    "name": "Nom de la famille",
    "address.line1": "Adresse",
    "address.line2": "Complément d'adresse",
    "address.postal_code": "Code postal",
    "address.city": "Commune",
    "phone_home": "Téléphone du domicile",
    "phone_mobile": "Téléphone portable",
    "phone_work": "Téléphone professionnel",
    "caf_number": "Numéro d'allocataire CAF",
    "guardians": "Responsables légaux",
    "emergency_contacts": "Personnes à prévenir en cas d'urgence",
    "authorized_pickups": "Personnes autorisées à récupérer les enfants",
}
CHILD_LABELS: dict[str, str] = {
    "last_name": "Nom",
    "first_name": "Prénom",
    "birth_date": "Date de naissance",
    "sex": "Sexe",
    "school": "École",
    "school_level": "Classe",
    "diet": "Régime alimentaire",
    "diet_detail": "Précision sur le régime alimentaire",
    "allergies": "Allergies",
    "pai": "PAI (projet d'accueil individualisé)",
    "pai_details": "Détails du PAI",
    "doctor_name": "Médecin traitant",
    "doctor_phone": "Téléphone du médecin",
    "image_rights_consent": "Droit à l'image",
    "allowed_to_leave_alone": "Autorisé(e) à partir seul(e)",
}
# Shown only to the family's parent and staff; never in events, logs or e-mails.
HEALTH_FIELDS: frozenset[str] = frozenset(
    {"allergies", "pai", "pai_details", "doctor_name", "doctor_phone"})

NOTHING_CHANGED = "Aucune modification."

Values = dict[str, Any]
Change = dict[str, Any]  # {field, label, old, new}


def family_values(row: asyncpg.Record) -> Values:
    """The family's fields in force, as change requests name them."""
    return {
        "name": row["name"],
        "address.line1": row["address_line1"],
        "address.line2": row["address_line2"],
        "address.postal_code": row["postal_code"],
        "address.city": row["city"],
        "phone_home": row["phone_home"],
        "phone_mobile": row["phone_mobile"],
        "phone_work": row["phone_work"],
        "caf_number": row["caf_number"],
        "guardians": row["guardians"],
        "emergency_contacts": row["emergency_contacts"],
        "authorized_pickups": row["authorized_pickups"],
    }


def child_values(row: asyncpg.Record) -> Values:
    """The child's fields in force (dates as ISO text, as JSON carries them)."""
    values = {field: row[field] for field in CHILD_LABELS}
    values["birth_date"] = row["birth_date"].isoformat()
    return values


def sent_values(model: BaseModel) -> Values:
    """The fields a partial input actually sent, flattened (`address.city`). List items are
    whole (defaults included); the address is the one object that may be sent in part."""
    data = model.model_dump(mode="json", include=model.model_fields_set)
    address = getattr(model, "address", None)
    if isinstance(address, BaseModel):
        data["address"] = address.model_dump(mode="json", exclude_unset=True)
    return _flatten(data)


def all_values(model: BaseModel) -> Values:
    """Every field of a complete input, defaults included, flattened."""
    return _flatten(model.model_dump(mode="json"))


def _flatten(data: Mapping[str, Any]) -> Values:
    flat: Values = {}
    for key, value in data.items():
        if key == "address" and isinstance(value, Mapping):
            flat.update({f"address.{part}": v for part, v in value.items()})
        else:
            flat[key] = value
    return flat


def diff(current: Values, proposed: Values, labels: Mapping[str, str]) -> list[Change]:
    """[{field, label, old, new}] for the fields whose proposed value differs, in label order."""
    return [
        {"field": field, "label": label, "old": current.get(field), "new": proposed[field]}
        for field, label in labels.items()
        if field in proposed and proposed[field] != current.get(field)
    ]


def merge_proposal(current: Values, pending: list[Change], sent: Values,
                   labels: Mapping[str, str]) -> list[Change]:
    """The changes of a new request that supersedes `pending` (possibly empty).

    A field sent now takes its base from the values in force (what the parent saw); one
    carried over from the pending request keeps its own base, so a conflict stays visible.
    A field set back to its value in force is withdrawn; when that leaves nothing of the
    pending request, the answer is empty (the caller withdraws it). Nothing new → 422.
    """
    proposed = {c["field"]: c["new"] for c in pending}
    seen = current | proposed
    if all(seen.get(field) == value for field, value in sent.items()):
        raise ValidationFailed(NOTHING_CHANGED)
    carried = {c["field"]: c for c in pending if c["field"] not in sent}
    fresh = {c["field"]: c for c in diff(current, sent, labels)}
    merged = carried | fresh
    changes = [merged[field] for field in labels if field in merged]
    if not changes and not pending:
        raise ValidationFailed(NOTHING_CHANGED)
    return changes


def applied(current: Values, changes: list[Change]) -> Values:
    return current | {c["field"]: c["new"] for c in changes}


def conflicts(current: Values, changes: list[Change]) -> list[Change]:
    """The changes whose base moved since the request: old ≠ value in force."""
    return [
        {**c, "current": current.get(c["field"])}
        for c in changes
        if current.get(c["field"]) != c["old"]
    ]


def check_child(values: Values) -> None:
    """Rules across fields of a child, on the values it would have once changed."""
    if values.get("diet") == "other" and not values.get("diet_detail"):
        raise ValidationFailed(errors=[{
            "field": "diet_detail",
            "message": "Précisez le régime alimentaire lorsque « autre » est choisi.",
        }])

