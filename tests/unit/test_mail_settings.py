"""IRRITANTS_SMTP_URL is parsed and checked at boot (never echoing the password); links in messages have a base."""

from __future__ import annotations

from pathlib import Path

import pytest

from irritants.config import ConfigurationError, load_config
from irritants.settings import Settings, SmtpServer, parse_smtp_url


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SMTP_URL", "MAIL_FROM", "MAIL_DIR", "MAIL_GROUP_MINUTES", "PUBLIC_URL", "INSTANCE_PATH"):
        monkeypatch.delenv(f"IRRITANTS_{name}", raising=False)
    monkeypatch.setenv("IRRITANTS_ENV", "testing")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:2525", SmtpServer("127.0.0.1", 2525)),
        ("smtp://mail.example.org", SmtpServer("mail.example.org", 25)),
        ("smtps://mail.example.org", SmtpServer("mail.example.org", 465, ssl=True)),
        (
            "smtp://moi%40example.org:p%40ss%3Aw@mail.example.org:587?starttls=1",
            SmtpServer("mail.example.org", 587, "moi@example.org", "p@ss:w", starttls=True),
        ),
        ("smtp://h:25?timeout=5", SmtpServer("h", 25, timeout=5.0)),
    ],
)
def test_an_smtp_url_is_read_with_its_credentials_url_decoded(url: str, expected: SmtpServer) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.example.org",
        "smtp://",
        "smtp://h:notaport",
        "smtps://h?starttls=1",
        "smtp://h?tls=1",
    ],
)
def test_a_bad_smtp_url_stops_the_start_without_showing_the_password(url: str) -> None:
    with pytest.raises(ConfigurationError, match="IRRITANTS_SMTP_URL invalide") as caught:
        load_config({"SMTP_URL": url.replace("//", "//user:hunter2secret@", 1) if "//h" in url else url})
    assert "hunter2secret" not in str(caught.value)


def test_the_smtp_server_never_shows_its_password() -> None:
    server = parse_smtp_url("smtp://user:hunter2secret@mail.example.org:587?starttls=1")
    assert "hunter2secret" not in repr(server) and "hunter2secret" not in str(server)
    assert str(server) == "smtp://user@mail.example.org:587?starttls=1"


def test_mail_settings_defaults_per_environment(tmp_path: Path) -> None:
    testing = Settings.from_config(load_config({"MAIL_DIR": None, "INSTANCE_PATH": str(tmp_path)})).outbox
    assert testing.smtp is None
    assert testing.mail_dir == tmp_path / "mails"
    assert testing.public_url == "http://irritants.test"
    assert testing.mail_from == "Irritants <ne-pas-repondre@irritants.localhost>"
    assert testing.group_minutes == 0
    development = load_config({"ENV": "development", "INSTANCE_PATH": str(tmp_path)})
    assert development["PUBLIC_URL"] == "http://127.0.0.1:5000"
    production = load_config({"ENV": "production", "SECRET_KEY": "x" * 40})
    assert production["MAIL_GROUP_MINUTES"] == 15


def test_production_mail_needs_a_public_url() -> None:
    with pytest.raises(ConfigurationError, match="PUBLIC_URL"):
        load_config({"ENV": "production", "SECRET_KEY": "x" * 40, "SMTP_URL": "smtp://mail.example.org"})
    config = load_config(
        {
            "ENV": "production",
            "SECRET_KEY": "x" * 40,
            "SMTP_URL": "smtp://mail.example.org",
            "PUBLIC_URL": "https://irritants.beta.gouv.fr/",
        }
    )
    assert Settings.from_config(config).outbox.public_url == "https://irritants.beta.gouv.fr"


def test_a_public_url_must_be_http() -> None:
    with pytest.raises(ConfigurationError, match="PUBLIC_URL invalide"):
        load_config({"PUBLIC_URL": "irritants.beta.gouv.fr"})
