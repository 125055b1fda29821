"""Category and service-kind ids of ../shared/taxonomy.md: code, data and evaluation refer to them."""

from __future__ import annotations

CATEGORIES: tuple[str, ...] = (
    "offices",
    "residence",
    "asylum",
    "forms",
    "work",
    "recognition",
    "benefits",
    "health",
    "language",
    "education",
    "housing",
    "family",
    "protection",
    "daily_life",
    "community",
)
OUT_OF_SCOPE = "out_of_scope"

SERVICE_KINDS: tuple[str, ...] = (
    "mbe",
    "jmd",
    "refugee_counselling",
    "labour_counselling",
    "recognition_counselling",
    "health_counselling",
    "women_protection",
    "housing_counselling",
    "family_counselling",
    "mo",
    "emergency",
)
