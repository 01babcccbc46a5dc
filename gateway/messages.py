"""Messages shown once after a redirect (the « flash »), by key: cookies carry only the key."""

FLASH: dict[str, tuple[str, ...]] = {
    "logged_out": ("Vous êtes déconnecté.",),
    "password_set": ("Votre mot de passe a été enregistré. Vous êtes connecté.",),
    "password_changed": ("Votre mot de passe a été modifié.",),
    "email_change_requested": (
        "Votre demande de changement d'adresse mail a été prise en compte.",
        "Tant que votre e-mail ne sera pas validé, votre identifiant reste inchangé.",
    ),
    "email_changed": ("Votre nouvelle adresse mail est confirmée : c'est désormais votre "
                      "identifiant de connexion.",),
}

# ---- the family file (guide §3, §4) ----------------------------------------------------------

_AFTER_VALIDATION = ("Elles seront appliquées après validation par les responsables de "
                     "pôles.")

FLASH.update({
    "family_change_requested": ("Vos modifications ont été enregistrées. " + _AFTER_VALIDATION,),
    "child_change_requested": ("Vos modifications ont été enregistrées. " + _AFTER_VALIDATION,),
    "child_add_requested": (
        "Votre demande d'ajout d'enfant a été enregistrée. Elle sera appliquée après "
        "validation par les responsables de pôles.",),
    "request_withdrawn": ("Votre demande de modification a été retirée. Votre dossier reste "
                          "inchangé.",),
    "request_already_decided": ("Cette demande a déjà été traitée par les responsables de "
                                "pôles : elle ne peut plus être retirée.",),
    # Staff back-office.
    "family_created": (
        "La famille a été créée.",
        "Le parent va recevoir par e-mail une invitation à choisir son mot de passe.",),
    "qf_set": ("Le quotient familial a été enregistré.",),
    "invitation_sent": ("Une nouvelle invitation a été envoyée par e-mail.",),
    "request_approved": ("La demande a été acceptée : les modifications sont appliquées. "
                         "La famille en est informée par e-mail.",),
    "request_rejected": ("La demande a été refusée. La famille en est informée par e-mail, "
                         "avec votre commentaire.",),
})

# Shown when the families service cannot answer (the rest of the page still works).
FAMILY_UNAVAILABLE = ("Les informations de la famille ne peuvent pas être affichées pour le "
                      "moment. Veuillez réessayer dans un instant.")

# Words of the family file, as parents read them (codes are the service's).
CIVILITIES = ("Madame", "Monsieur")
SEXES = {"F": "Fille", "M": "Garçon"}
DIETS = {
    "none": "Aucun régime particulier",
    "no_pork": "Sans porc",
    "vegetarian": "Végétarien",
    "no_meat": "Sans viande",
    "other": "Autre (à préciser)",
}
SCHOOL_LEVELS = {
    "TPS": "TPS (toute petite section)",
    "PS": "PS (petite section)",
    "MS": "MS (moyenne section)",
    "GS": "GS (grande section)",
    "CP": "CP", "CE1": "CE1", "CE2": "CE2", "CM1": "CM1", "CM2": "CM2",
    "6e": "6e", "5e": "5e", "4e": "4e", "3e": "3e",
    "2nde": "2nde", "1re": "1re", "Tle": "Terminale",
}
YES_NO = {True: "Oui", False: "Non"}
NOT_GIVEN = "non renseigné"

# Change requests: state → (icon, label, explanation for the legend).
REQUEST_STATES: dict[str, tuple[str, str, str]] = {
    "pending": ("pending", "En attente de validation",
                "les responsables de pôles n'ont pas encore traité la demande"),
    "approved": ("success", "Acceptée", "les modifications sont appliquées à votre dossier"),
    "rejected": ("error", "Refusée", "votre dossier reste inchangé ; voyez le commentaire"),
    "superseded": ("info", "Remplacée",
                   "une demande plus récente sur les mêmes informations l'a remplacée"),
    "withdrawn": ("info", "Retirée", "vous avez retiré la demande avant sa validation"),
}
REQUEST_SUBJECTS = {
    "family": "Informations de la famille",
    "child": "Informations de l'enfant",
    "new_child": "Ajout d'un enfant",
}

# Staff back-office.
ACCOUNT_STATES = {
    "invited": "Invitation envoyée, mot de passe pas encore choisi",
    "active": "Compte activé",
    "disabled": "Compte désactivé",
}
ROLES = {"parent": "Parent", "staff": "Agent", "admin": "Administrateur",
         "system": "Système", "integrator": "Application partenaire"}
AUDIT_ACTIONS = {
    "family.created": "Création du dossier famille",
    "family.updated": "Modification du dossier famille",
    "family.qf_changed": "Quotient familial modifié",
    "family.email_changed": "Adresse mail de contact modifiée (suit l'identifiant)",
    "child.created": "Ajout d'un enfant",
    "child.updated": "Modification d'un enfant",
    "change_request.submitted": "Demande de modification envoyée par la famille",
    "change_request.approved": "Demande de modification acceptée",
    "change_request.rejected": "Demande de modification refusée",
}
CONFLICT_TITLE = "Les informations ont changé depuis la demande"
