"""Data files packaged with shrinkflow (``src/shrinkflow/data/``), named without importing anything heavy."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).with_name("data")
#: one row per number published in the reproduced papers (read with pandas by shrinkflow.reproduction)
PUBLISHED_RESULTS = DATA / "published_results.csv"
#: the papers' statements in our words (shrinkflow.claims)
CLAIMS = DATA / "claims.yaml"
