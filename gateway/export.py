"""The RGPD export as a parent reads it: the families service's export with French keys (the
JSON download) and the same content as a printable page. Presentation only: nothing is added
or left out; a key without a French word keeps its own name."""

from collections.abc import Mapping
from typing import Any

from gateway.messages import field_label

KEYS = {
    # The export and its parts.
    "exported_at": "Exporté le", "family": "Famille", "children": "Enfants",
    "pending_children": "Enfants en attente de validation",
    "change_requests": "Demandes de modification", "audit": "Journal des opérations",
    # Identifiers and bookkeeping.
    "id": "Identifiant", "family_id": "Identifiant de la famille",
    "child_id": "Identifiant de l'enfant", "change_request_id": "Identifiant de la demande",
    "created_at": "Créé le", "updated_at": "Modifié le", "version": "Version",
    # A family file.
    "name": "Nom", "email": "Adresse mail", "address": "Adresse", "line1": "Adresse",
    "line2": "Complément d'adresse", "postal_code": "Code postal", "city": "Commune",
    "phone_home": "Téléphone du domicile", "phone_mobile": "Téléphone portable",
    "phone_work": "Téléphone professionnel", "caf_number": "Numéro d'allocataire CAF",
    "qf": "Quotient familial (QF)", "guardians": "Responsables légaux",
    "emergency_contacts": "Personnes à prévenir en cas d'urgence",
    "authorized_pickups": "Personnes autorisées à récupérer les enfants",
    "civility": "Civilité", "last_name": "Nom", "first_name": "Prénom",
    "relationship": "Lien avec l'enfant", "employer": "Employeur", "phone": "Téléphone",
    "pending": "En attente de validation", "value": "Valeur", "label": "Libellé",
    # A child's file.
    "birth_date": "Date de naissance", "sex": "Sexe", "school": "École",
    "school_level": "Classe", "diet": "Régime alimentaire",
    "diet_detail": "Précision sur le régime alimentaire", "allergies": "Allergies",
    "pai": "PAI (projet d'accueil individualisé)", "pai_details": "Détails du PAI",
    "doctor_name": "Médecin traitant", "doctor_phone": "Téléphone du médecin",
    "image_rights_consent": "Droit à l'image",
    "allowed_to_leave_alone": "Autorisé(e) à partir seul(e)", "values": "Valeurs",
    # Change requests and the journal.
    "target": "Objet", "state": "État", "changes": "Modifications", "field": "Information",
    "old": "Ancienne valeur", "new": "Valeur demandée", "current": "Valeur en vigueur",
    "conflict": "Conflit", "created_by": "Demandée par", "decided_by": "Traitée par",
    "decided_at": "Traitée le", "comment": "Commentaire", "superseded_by": "Remplacée par",
    "family_name": "Famille", "child_name": "Enfant", "at": "Le", "actor_sub": "Auteur",
    "actor_role": "Rôle de l'auteur", "action": "Opération", "target_type": "Type d'objet",
    "target_id": "Identifiant de l'objet", "details": "Détails", "supersedes": "Remplace",
    # Separated parents: a child of two households, its custody, links and their reasons.
    "custody": "Garde", "other_household": "Autre foyer", "pattern": "Mode de garde",
    "even_weeks": "Semaines paires", "even_weeks_family_id": "Foyer des semaines paires",
    "reason": "Motif",
}


def french(data: Any) -> Any:
    """`data` with every known key in French, at every depth (values untouched)."""
    if isinstance(data, Mapping):
        return {_key(str(key)): french(value) for key, value in data.items()}
    if isinstance(data, list):
        return [french(item) for item in data]
    return data


def _key(key: str) -> str:
    """A key in French: a word of the export, or a field of the file (`address.city`, as
    pending values are keyed), else the key itself."""
    return KEYS.get(key) or field_label(key) or key
