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
