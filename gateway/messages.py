"""Messages shown once after a redirect (the « flash »), by key: cookies carry only the key."""

FLASH: dict[str, tuple[str, ...]] = {
    "logged_out": ("Vous êtes déconnecté.",),
    "password_set": ("Votre mot de passe a été enregistré. Vous êtes connecté.",),
    "password_changed": ("Votre mot de passe a été modifié.",),
    "email_change_requested": (
        "Votre demande de changement d'adresse mail a été prise en compte.",
        "Tant que votre e-mail ne sera pas validé, votre identifiant reste inchangé.",
    ),
    "email_link_sent_again": ("Un nouveau lien de confirmation vient d'être envoyé à la "
                              "nouvelle adresse ; le précédent ne fonctionne plus.",),
    "email_change_cancelled": ("Votre demande de changement d'adresse est annulée : votre "
                               "identifiant reste inchangé et le lien envoyé ne fonctionne "
                               "plus.",),
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
    "child_linked": ("L'enfant est rattaché à cette famille : son parent le voit dans « Mes "
                     "enfants » et peut le réserver. Le rattachement est inscrit au journal.",),
    "child_unlinked": ("L'enfant est détaché de ce foyer : il reste dans l'autre foyer. Le "
                       "détachement est inscrit au journal.",),
    "custody_set": ("La garde de l'enfant est enregistrée.",),
    "account_disabled": ("Le compte est désactivé : ses sessions sont fermées et il ne peut "
                         "plus se connecter.",),
    "account_enabled": ("Le compte est réactivé.",),
    "family_changed_by_staff": ("Le dossier de la famille a été modifié. La modification est "
                                "inscrite au journal.",),
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
    "child.linked": "Enfant d'une autre famille rattaché à ce foyer",
    "child.unlinked": "Enfant détaché de ce foyer",
    "child.custody_changed": "Garde de l'enfant modifiée",
    "change_request.submitted": "Demande de modification envoyée par la famille",
    "change_request.approved": "Demande de modification acceptée",
    "change_request.rejected": "Demande de modification refusée",
}
# The custody of a child of two households, as the journal says it.
CUSTODY_PATTERNS = {"free": "libre", "alternate_weeks": "semaines alternées"}
CONFLICT_TITLE = "Les informations ont changé depuis la demande"

# ---- reservations (guide §7–§9) ------------------------------------------------------------
# Codes are the reservations service's; these are only the words and icons parents read.

FLASH.update({
    "offer_accepted": ("Vous avez accepté la place proposée : elle est réservée pour votre "
                       "enfant.",),
    "offer_declined": ("Vous avez refusé la place proposée : elle est offerte à la famille "
                       "suivante sur la liste d'attente.",),
    "offer_gone": ("Cette proposition n'est plus valable : le délai de réponse est passé ou "
                   "vous y avez déjà répondu.",),
    # Staff.
    "line_accepted": ("La demande est acceptée. La famille en est informée par e-mail.",),
    "line_refused": ("La demande est refusée. La famille en est informée par e-mail, avec "
                     "votre commentaire.",),
    "establishment_saved": ("L'établissement est enregistré.",),
    "unit_saved": ("L'unité est enregistrée.",),
    "period_saved": ("La période est enregistrée.",),
    "draw_made": ("Le tirage au sort est fait et enregistré. Chaque famille qui y a pris part "
                  "reçoit son résultat par e-mail.",),
    "capacity_saved": ("La capacité est enregistrée. Les places libérées sont proposées aux "
                       "listes d'attente.",),
})

# A reservation's state → (icon, label, explanation for the legend) (guide §7, §8).
RESERVATION_STATES: dict[str, tuple[str, str, str]] = {
    "accepted": ("success", "Acceptée", "tous les jours demandés sont acceptés"),
    "pending": ("pending", "En attente",
                "les responsables de pôles n'ont pas encore traité la demande"),
    "partial": ("info", "Partiellement acceptée",
                "une partie des jours est acceptée ; voyez le détail"),
    "refused": ("refused", "Refusée", "la demande n'a pas été acceptée ; voyez le commentaire"),
    "cancel_requested": ("cancel", "Annulation demandée",
                         "la demande d'annulation attend la décision du service"),
    "cancelled": ("cancel", "Annulée", "les jours sont annulés"),
    "waiting": ("waiting", "Liste d'attente",
                "des jours sont complets : votre enfant est sur la liste d'attente"),
    "drawing": ("pending", "En attente du tirage",
                "les places de la période sont tirées au sort : le résultat vous sera envoyé "
                "par e-mail"),
}
# A line's state (one day × one unit) → (icon, label).
LINE_STATES: dict[str, tuple[str, str]] = {
    "accepted": ("success", "Acceptée"),
    "requested": ("pending", "En attente de décision"),
    "pending": ("pending", "En attente de décision"),
    "waiting": ("waiting", "Liste d'attente"),
    "offered": ("offer", "Place proposée"),
    "refused": ("refused", "Refusée"),
    "cancel_requested": ("cancel", "Annulation demandée"),
    "cancelled": ("cancel", "Annulée"),
    "declined": ("cancel", "Place refusée"),
    "expired": ("cancel", "Proposition expirée"),
    "drawing": ("pending", "En attente du tirage au sort"),
}
LINE_KINDS = {"book": "Réservation", "cancel": "Annulation"}

# A planning cell's state, as the cell says it (short, a phone's column is narrow).
CELL_STATES: dict[str, str] = {
    "not_offered": "Fermé",
    "available": "Libre",
    "full": "Complet",
    "reserved": "Réservé",
    "requested": "Demande en cours",
    "waiting": "Liste d'attente",
    "offered": "Place proposée",
    "refused": "Refusé",
    "cancel_requested": "Annulation demandée",
    "other_household": "Réservé par l'autre foyer",
    "other_custody": "Garde de l'autre parent",
    "drawing": "Tirage au sort en attente",
}
# What a click gives (or what a selected cell will give) → (icon, words in the cell).
OUTCOMES: dict[str, tuple[str, str]] = {
    "accepted": ("success", "Acceptée"),
    "requested": ("pending", "Demande"),
    "waiting": ("waiting", "Liste d'attente"),
    "drawing": ("pending", "Tirage au sort"),
    "impossible": ("cancel", "Impossible"),
}
# The planning's legend (guide §7: « la légende est visible en survolant le bouton légende »;
# here a button that opens on click, by keyboard too).
PLANNING_LEGEND: tuple[tuple[str, str], ...] = (
    ("success", "Acceptée : le jour sélectionné sera réservé dès la confirmation"),
    ("pending", "Demande : le jour sélectionné sera une demande, traitée par les responsables "
                "de pôles (délai de traitement)"),
    ("waiting", "Liste d'attente : le jour est complet, votre enfant prendra rang (n° = sa "
                "position)"),
    ("selected", "Case encadrée : jour sélectionné, pas encore confirmé"),
    ("success", "Réservé : jour déjà réservé et accepté"),
    ("pending", "Demande en cours : jour demandé, en attente de décision"),
    ("offer", "Place proposée : une place s'est libérée pour vous, répondez avant l'échéance"),
    ("refused", "Refusé : la demande n'a pas été acceptée"),
    ("cancel", "Annulation demandée : l'annulation attend la décision du service"),
    ("full", "Complet : plus de place ce jour-là"),
    ("pending", "Tirage au sort : la période attribue ses places par tirage au sort ; le jour "
                "demandé attend le tirage, dont le résultat vous est envoyé par e-mail"),
    ("cancel", "Fermé : l'unité n'est pas proposée ce jour-là"),
    ("info", "Réservé par l'autre foyer : l'autre parent de l'enfant a déjà réservé ce jour"),
    ("custody", "Garde de l'autre parent : en semaines alternées, ce jour est dans une semaine "
                "de l'autre parent ; c'est à lui de le réserver"),
    ("info", "« jusqu'au … » : dernier jour pour réserver ou annuler cette case"),
)
# The words of the flow, for a reservation and for a cancellation request (guide §7, §9).
KIND_WORDS: dict[str, dict[str, str]] = {
    "book": {
        "slug": "nouvelle",
        "title": "Nouvelle réservation",
        "verify": "Veuillez vérifier les jours de réservation",
        "confirm": "Confirmer la réservation",
        "done": "Votre réservation est enregistrée",
        "choose_child": "Cliquez sur l'enfant que vous souhaitez inscrire.",
        "bulk_period": "Sélectionner les jours de la période",
        "bulk_month": "Sélectionner les jours affichés à l'écran",
        "selected": "sélectionné",
        "none": "Aucun jour n'est sélectionné : cliquez dans la case des jours à réserver.",
        "no_period": "Aucune période n'est ouverte à la réservation pour cet enfant en ce "
                     "moment.",
    },
    "cancel": {
        "slug": "annulation",
        "title": "Demande d'annulation",
        "verify": "Veuillez vérifier les jours d'annulation",
        "confirm": "Confirmer la demande d'annulation",
        "done": "Votre demande d'annulation est enregistrée",
        "choose_child": "Cliquez sur l'enfant dont la réservation est à modifier.",
        "bulk_period": "Désélectionnez tous les jours de la période",
        "bulk_month": "Désélectionnez uniquement les jours affichés à l'écran",
        "selected": "à annuler",
        "none": "Aucun jour n'est marqué pour l'annulation : cliquez dans la case d'un jour "
                "réservé.",
        "no_period": "Cet enfant n'a aucune réservation qui puisse encore être annulée.",
    },
}
ESTABLISHMENT_KINDS = {"accueil_de_loisirs": "Accueil de loisirs", "periscolaire": "Périscolaire"}

# ---- fields named in an error summary (issue 10, point 3) --------------------------------------
# « Téléphone portable du responsable 2 : … »: a summary never repeats a bare message.
FIELD_LABELS = {
    "name": "Nom de la famille", "address.line1": "Adresse",
    "address.line2": "Complément d'adresse", "address.postal_code": "Code postal",
    "address.city": "Commune", "phone_home": "Téléphone du domicile",
    "phone_mobile": "Téléphone portable", "phone_work": "Téléphone professionnel",
    "caf_number": "Numéro d'allocataire CAF", "qf": "Quotient familial (QF)",
    "email": "Adresse mail",
    # A child's file.
    "last_name": "Nom", "first_name": "Prénom", "birth_date": "Date de naissance",
    "sex": "Sexe", "school": "École", "school_level": "Classe",
    "diet": "Régime alimentaire", "diet_detail": "Précision sur le régime alimentaire",
    "allergies": "Allergies", "pai": "PAI", "pai_details": "Détails du PAI",
    "doctor_name": "Médecin traitant", "doctor_phone": "Téléphone du médecin",
    "image_rights_consent": "Droit à l'image",
    "allowed_to_leave_alone": "Autorisé(e) à partir seul(e)",
}
PERSON_LABELS = {
    "civility": "Civilité", "last_name": "Nom", "first_name": "Prénom",
    "relationship": "Lien avec l'enfant", "phone_mobile": "Téléphone portable",
    "phone_home": "Téléphone du domicile", "phone_work": "Téléphone professionnel",
    "email": "Adresse mail", "employer": "Employeur", "name": "Nom et prénom",
    "phone": "Téléphone",
}
PERSON_OWNERS = {"guardians": "du responsable {}",
                 "emergency_contacts": "de la personne à prévenir {}",
                 "authorized_pickups": "de la personne autorisée {}"}


def field_label(name: str) -> str | None:
    """The French name of a family or child form field, a person's row numbered from 1
    (`guardians.1.phone_mobile` → « Téléphone portable du responsable 2 »)."""
    parts = name.split(".")
    if len(parts) == 3 and parts[0] in PERSON_OWNERS and parts[1].isdecimal():
        label = PERSON_LABELS.get(parts[2])
        owner = PERSON_OWNERS[parts[0]].format(int(parts[1]) + 1)
        return f"{label} {owner}" if label else None
    return FIELD_LABELS.get(name)


# ---- billing (guide §10–§11) -----------------------------------------------------------------
# Codes are the billing service's; these are the words and icons parents and staff read.

FLASH.update({
    # Staff.
    "invoicing_done": ("La facturation du mois est émise. Chaque famille est informée de sa "
                       "nouvelle facture par e-mail.",),
    "invoicing_nothing": ("Il n'y avait rien à facturer : tout ce qui est facturable ce mois-ci "
                          "l'est déjà.",),
    "credit_note_issued": ("L'avoir est émis. Le montant dû par la famille est diminué "
                           "d'autant.",),
    "payment_recorded": ("Le règlement est enregistré et affecté aux factures. La famille en "
                         "est informée par e-mail.",),
    "pes_prepared": ("Le fichier PES est prêt. Téléchargez-le, déposez-le auprès du comptable "
                     "public, puis marquez-le comme envoyé.",),
    "pes_sent": ("Le lot est marqué comme envoyé au comptable public : son fichier ne changera "
                 "plus. Un prochain lot prendra le numéro suivant.",),
    "pes_dropped": ("Le lot en préparation est abandonné : ses factures et son numéro iront au "
                    "prochain lot.",),
})

# An invoice's state → (icon, label, explanation for the legend) (guide §10).
INVOICE_STATES: dict[str, tuple[str, str, str]] = {
    "to_pay": ("pending", "À régler", "la facture attend votre règlement avant sa date "
                                       "d'échéance"),
    "partially_paid": ("info", "Partiellement réglée",
                       "une partie est réglée, le reste est à régler"),
    "paid": ("success", "Réglée", "la facture est entièrement réglée"),
    "overdue": ("error", "En retard", "la date d'échéance est passée : merci de la régler "
                                      "dès que possible"),
    "cancelled": ("cancel", "Annulée", "la facture est entièrement annulée par un avoir"),
}
# A payment's state → (icon, label, explanation for the legend) (guide §10).
PAYMENT_STATES: dict[str, tuple[str, str, str]] = {
    "pending": ("pending", "En cours", "le service de paiement n'a pas encore confirmé le "
                                       "paiement"),
    "validated": ("success", "Validé", "le paiement est reçu et affecté à vos factures"),
    "refused": ("refused", "Refusé", "le paiement n'a pas abouti : rien n'a été débité"),
    "cancelled": ("cancel", "Annulé", "le paiement a été abandonné ou n'a pas été terminé à "
                                      "temps : rien n'a été débité"),
    "refunded": ("info", "Remboursé", "le paiement vous a été remboursé"),
}
PAYMENT_METHODS = {
    "online": "Paiement en ligne (carte bancaire, PayFiP)",
    "cheque": "Chèque",
    "cash": "Espèces",
    "cesu": "CESU",
    "holiday_vouchers": "Chèques vacances",
    "direct_debit": "Prélèvement",
}
# What the return page says once the payer is back from PayFiP, by the payment's state.
PAYMENT_RETURN: dict[str, tuple[str, str, str]] = {
    "validated": ("success", "Paiement validé",
                  "Votre paiement est validé. Merci ! Un e-mail de confirmation vous est "
                  "envoyé."),
    "pending": ("pending", "Paiement en cours",
                "Le service de paiement n'a pas encore confirmé votre paiement. Cette page "
                "sera à jour dans quelques instants : actualisez-la."),
    "refused": ("error", "Paiement refusé",
                "Votre paiement a été refusé : rien n'a été débité. Vous pouvez réessayer ou "
                "régler autrement."),
    "cancelled": ("info", "Paiement abandonné",
                  "Vous avez abandonné le paiement (ou il n'a pas été terminé à temps) : rien "
                  "n'a été débité."),
    "refunded": ("info", "Paiement remboursé", "Ce paiement vous a été remboursé."),
}


# Ready-made refusal reasons beside the free comment (issue 10, point 12): value → the
# sentence the family reads.
REFUSAL_REASONS = {
    "justificatif": "Merci de nous transmettre un justificatif de cette modification.",
    "incomplet": "Les informations données sont incomplètes.",
    "incoherent": "Les informations données ne correspondent pas à celles de votre dossier.",
    "appel": "Merci de contacter le service pour effectuer cette modification.",
}

# ---- SEPA direct debit -------------------------------------------------------------------------

FLASH.update({
    "mandate_code_sent": ("Un code de signature vient de vous être envoyé par e-mail, à votre "
                          "adresse de connexion. Saisissez-le ci-dessous pour signer le "
                          "mandat.",),
    "mandate_code_sent_again": ("Un nouveau code vient de vous être envoyé ; le précédent ne "
                                "fonctionne plus.",),
    "mandate_signed": ("Votre mandat de prélèvement est signé : vos prochaines factures seront "
                       "prélevées automatiquement, après un avis par e-mail.",),
    "debit_batch_built": ("Le lot de prélèvements est prêt : téléchargez son fichier pour la "
                          "banque ci-dessous.",),
    "debit_return_recorded": ("Le rejet est enregistré : la facture est de nouveau à régler et "
                              "la famille en est informée par e-mail.",),
    "mandate_revoked": ("Votre mandat est révoqué : aucun nouveau prélèvement ne sera fait. "
                        "Vos factures restent à régler par un autre moyen.",),
})
