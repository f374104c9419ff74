"""docs/rule-packs.md is generated from the schema classes and must not be stale."""

from __future__ import annotations

from pathlib import Path

import attrs

from jxc_rules.rules import schema
from jxc_rules.rules.docgen import main, render

DOC = Path(__file__).resolve().parents[1] / "docs" / "rule-packs.md"


def test_the_committed_schema_reference_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/rule-packs.md is stale: run "
        "`python -m jxc_rules.rules.docgen --write docs/rule-packs.md`")


def test_every_schema_field_is_documented() -> None:
    text = render()
    for cls in (schema.RulePack, schema.HolidayRule, schema.HolidayProfile, schema.WeatherRule,
                schema.ReplenishmentPolicy, schema.ReservationPolicy, schema.WastageSection,
                schema.Turnover, schema.Price, schema.Labels):
        assert f"`{cls.__name__}`" in text
        for field in attrs.fields(cls):
            assert f"| `{field.name}` |" in text
            assert field.metadata.get("doc"), f"{cls.__name__}.{field.name} has no doc"


def test_docgen_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "rule-packs.md"
    assert main(["--write", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render()
