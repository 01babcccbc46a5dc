"""The notifier's SMTP login: an empty variable means none."""

import pytest

from services.notifier.settings import Settings


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_user_and_password_mean_no_login(empty: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFIER_SMTP_USER", empty)
    monkeypatch.setenv("NOTIFIER_SMTP_PASSWORD", empty)
    settings = Settings()
    assert settings.smtp_user is None and settings.smtp_password is None


def test_a_configured_login_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFIER_SMTP_USER", "portail")
    monkeypatch.setenv("NOTIFIER_SMTP_PASSWORD", "secret")
    settings = Settings()
    assert settings.smtp_user == "portail"
    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == "secret"
