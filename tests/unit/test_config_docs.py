import re
from pathlib import Path

from octag.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_environment_variable_is_in_the_readme_table():
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", README.read_text(), flags=re.MULTILINE))
    variables = {str(field.validation_alias) for field in Settings.model_fields.values()}
    assert variables - documented == set(), "add these to the README configuration table"
    assert documented - variables == set(), "the README documents variables Settings does not read"


def test_settings_read_the_documented_names(monkeypatch):
    monkeypatch.setenv("OCTAG_HTTP_PORT", "4100")
    monkeypatch.setenv("DATABASE_URL", "postgresql://example/db")
    settings = Settings()
    assert settings.http_port == 4100
    assert settings.database_url == "postgresql://example/db"
