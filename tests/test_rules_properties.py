"""Properties of rule packs: dump → load round trips, diff(p, p) is empty, a one-field mutation
diffs to exactly that field, and every one-defect pack is refused naming the defect."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings

from jxc_rules.errors import RulePackError
from jxc_rules.rules import RulePack, diff, dump_pack, loads_pack, pack_from_mapping
from jxc_rules.testing import (
    invalid_pack_mappings,
    numeric_mutations,
    rule_pack_mappings,
    rule_packs,
)

FAST = settings(deadline=None)


@FAST
@given(rule_packs())
def test_dump_then_load_gives_an_equal_pack(pack: RulePack) -> None:
    again = loads_pack(dump_pack(pack), filename="dumped.yaml")
    assert again == pack
    assert again.to_mapping() == pack.to_mapping()


@FAST
@given(rule_packs())
def test_diff_of_a_pack_with_itself_is_empty(pack: RulePack) -> None:
    assert diff(pack, pack) == []


@FAST
@given(numeric_mutations())
def test_diff_of_a_one_field_mutation_names_exactly_that_field(
    case: tuple[dict[str, Any], dict[str, Any], str],
) -> None:
    before, after, field = case
    changes = diff(pack_from_mapping(before), pack_from_mapping(after))
    assert [c.path for c in changes] == [field]
    change = changes[0]
    assert change.kind == "changed"
    assert change.old != change.new
    if change.relative is not None:
        assert change.review == (abs(change.relative) > 0.15)


@FAST
@given(invalid_pack_mappings())
def test_a_one_defect_pack_is_refused_naming_the_defect(
    case: tuple[dict[str, Any], str],
) -> None:
    data, field = case
    try:
        pack_from_mapping(data)
    except RulePackError as exc:
        fields = [e.field or "" for e in exc.errors]
        assert any(f == field or f.startswith(field + ".") for f in fields), (field, fields)
    else:
        raise AssertionError(f"a pack with a bad {field} was accepted")


@FAST
@given(invalid_pack_mappings())
def test_a_one_defect_pack_in_a_file_is_refused_with_file_and_line(
    case: tuple[dict[str, Any], str],
) -> None:
    import yaml

    data, _field = case
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    try:
        loads_pack(text, filename="mutated.yaml")
    except RulePackError as exc:
        for err in exc.errors:
            assert err.location is not None
            assert err.location.file == "mutated.yaml"
            assert err.location.line is not None
            assert str(err).startswith(f"mutated.yaml:{err.location.line}:")
    else:
        raise AssertionError("accepted")


@FAST
@given(rule_pack_mappings(kernels=False))
def test_packs_without_kernel_sections_load_too(data: dict[str, Any]) -> None:
    pack = pack_from_mapping(data)
    assert pack.packaging == {}
    assert pack.recipes is None
    assert set(pack.holidays) == set(data["holidays"])
