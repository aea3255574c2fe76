"""One offline analyzer with the seed catalog's names per test session (kiwi loads once)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from octag.catalog.cleaning import clean_catalog
from octag.nlu import CatalogNames, OfflineAnalyzer, names_from_catalog

SEED_CATALOG = Path(__file__).resolve().parents[3] / "local" / "seed" / "seoul-themes.seed.json"


@pytest.fixture(scope="session")
def catalog_names() -> CatalogNames:
    return names_from_catalog(clean_catalog(json.loads(SEED_CATALOG.read_text())))


@pytest.fixture(scope="session")
def analyzer(catalog_names: CatalogNames) -> OfflineAnalyzer:
    return OfflineAnalyzer(catalog_names)
