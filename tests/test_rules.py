"""Rule packs: bundled packs validate, bad packs are refused with file:line, versions, extends,
dump/load and diff."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from jxc_rules.cli import main
from jxc_rules.errors import RulePackError
from jxc_rules.rules import (
    HOLIDAY_NAMES,
    RulePack,
    diff,
    dump_pack,
    load_pack,
    load_packs,
    loads_pack,
    select,
)

ROOT = Path(__file__).resolve().parents[1]
INDUSTRIES = ROOT / "industries"
PACK_FILES = sorted(INDUSTRIES.glob("**/*.yaml"))
HOTPOT_10 = INDUSTRIES / "hotpot" / "2026.10.yaml"
HOTPOT_11 = INDUSTRIES / "hotpot" / "2026.11.yaml"
AGRI = INDUSTRIES / "agri-inputs" / "2026.11.yaml"


def _line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in text")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ bundled packs


def test_the_bundled_industries_are_all_there() -> None:
    industries = {p.industry for p in load_packs(INDUSTRIES)}
    assert industries == {"agri-inputs", "aquatic", "bakery", "hotpot", "auto-parts"}


@pytest.mark.parametrize("path", PACK_FILES, ids=lambda p: str(p.relative_to(INDUSTRIES)))
def test_every_bundled_pack_validates(path: Path) -> None:
    pack = load_pack(path)
    assert isinstance(pack, RulePack)
    assert pack.labels.zh
    assert pack.labels.en
    for item, labels in pack.items.items():
        assert re.fullmatch(r"[a-z0-9_]+", item)
        assert labels.zh
        assert labels.en
    # every parameter has a source, or the pack says it is illustrative
    assert pack.illustrative or pack.source is not None or pack.sources


@pytest.mark.parametrize("path", PACK_FILES, ids=lambda p: str(p.relative_to(INDUSTRIES)))
def test_every_bundled_pack_round_trips_through_dump(path: Path) -> None:
    pack = load_pack(path)
    again = loads_pack(dump_pack(pack), filename="dumped.yaml")
    assert again == pack
    assert diff(pack, again) == []


def test_the_hotpot_packs_hold_every_section_the_simulator_reads() -> None:
    pack = load_pack(HOTPOT_11)
    for item in ("beef_slices", "tripe", "tilapia_live", "napa_cabbage", "tallow_base"):
        assert item in pack.packaging
        assert item in pack.prices
    for dish in ("dish_beef", "dish_tripe", "fish_hotpot", "veg_platter", "soup_base"):
        assert dish in pack.items
    assert set(pack.shelf_life) >= {"beef_slices", "tripe"}
    assert "tilapia_live" in pack.live_weight
    assert pack.wastage is not None
    assert pack.wastage.turnover is not None
    assert pack.recipes is not None
    assert set(pack.holidays) <= set(HOLIDAY_NAMES)
    assert "Spring Festival" in pack.holidays
    assert "rain" in pack.weather
    assert pack.replenishment is not None


def test_the_two_hotpot_versions_differ_by_a_debatable_rule_change() -> None:
    old, new = load_pack(HOTPOT_10), load_pack(HOTPOT_11)
    changes = {c.path: c for c in diff(old, new)}
    assert changes["replenishment.safety_days"].old == 1
    assert changes["replenishment.safety_days"].new == 0.5
    assert changes["replenishment.safety_days"].review
    uplift = changes["holidays.Spring Festival.dine_in.during[3]"]
    assert (uplift.old, uplift.new) == (1.3, 1.5)
    assert uplift.relative == pytest.approx(0.2 / 0.3)  # the effect m − 1: 0.3 → 0.5
    assert uplift.basis == "effect"
    assert uplift.review  # +66.7 % > 15 %
    assert changes["holidays.Spring Festival.dine_in.during[4]"].review  # effect +57.1 %
    assert not changes["holidays.Spring Festival.source"].review  # a source text edit
    assert all(c.path.startswith(("holidays.Spring Festival.", "replenishment."))
               for c in changes.values())
    assert new.changelog  # the committee said why


# ------------------------------------------------------------------ bad input


def _refused(path: Path, pattern: str) -> RulePackError:
    with pytest.raises(RulePackError) as info:
        load_pack(path)
    assert re.search(pattern, str(info.value)), str(info.value)
    return info.value


def test_a_typod_key_is_refused_at_its_line_with_a_hint(tmp_path: Path) -> None:
    text = HOTPOT_11.read_text(encoding="utf-8").replace("  safety_days: 0.5",
                                                         "  safty_days: 0.5")
    path = _write(tmp_path, "hotpot.yaml", text)
    line = _line_of(text, "safty_days")
    err = _refused(path, rf"hotpot\.yaml:{line}:\d+: replenishment\.safty_days: unknown key "
                         r"'safty_days' \(did you mean 'safety_days'\?\)")
    assert err.field == "replenishment.safty_days"


def test_a_fertilizer_bag_in_litres_is_refused(tmp_path: Path) -> None:
    text = AGRI.read_text(encoding="utf-8").replace("content: 40 kg}", "content: 40 L}")
    path = _write(tmp_path, "agri.yaml", text)
    line = _line_of(text, "40 L")
    err = _refused(path, rf"agri\.yaml:{line}:\d+: packaging\.urea\.pack\.content .*mass.*"
                         r"'40 L'")
    assert err.field == "packaging.urea.pack.content"


def test_a_loss_rate_of_1_2_is_refused(tmp_path: Path) -> None:
    text = HOTPOT_11.read_text(encoding="utf-8").replace(
        "takeaway: {prep: 1.5 %, spoilage: 1 %, packaging: 2 %}", "takeaway: {packaging: 1.2}")
    path = _write(tmp_path, "hotpot.yaml", text)
    line = _line_of(text, "packaging: 1.2}")
    err = _refused(path, rf"hotpot\.yaml:{line}:\d+: wastage\.loss_model\.channels\.takeaway")
    assert "1.2" in str(err)


def test_a_missing_version_is_refused(tmp_path: Path) -> None:
    text = HOTPOT_11.read_text(encoding="utf-8").replace('version: "2026.11"\n', "")
    path = _write(tmp_path, "hotpot.yaml", text)
    err = _refused(path, r"hotpot\.yaml:\d+:\d+: version is required")
    assert err.field == "version"


def test_an_unquoted_version_keeps_its_trailing_zero(tmp_path: Path) -> None:
    text = HOTPOT_10.read_text(encoding="utf-8").replace('version: "2026.10"',
                                                         "version: 2026.10")
    assert load_pack(_write(tmp_path, "hotpot.yaml", text)).version == "2026.10"


def test_all_errors_are_reported_at_once_each_with_its_line(tmp_path: Path) -> None:
    text = (HOTPOT_11.read_text(encoding="utf-8")
            .replace("  safety_days: 0.5", "  safty_days: 0.5")
            .replace("shift_to_takeaway: 0.35", "shift_to_takeaway: 1.35")
            .replace("order_rounding: up", "order_rounding: upward")
            .replace("Spring Festival:\n", "Spring Festvial:\n"))
    path = _write(tmp_path, "hotpot.yaml", text)
    with pytest.raises(RulePackError) as info:
        load_pack(path)
    errors = info.value.errors
    lines = {e.location.line for e in errors if e.location is not None}
    assert len(errors) == 4
    assert lines == {_line_of(text, "safty_days"), _line_of(text, "shift_to_takeaway: 1.35"),
                     _line_of(text, "order_rounding: upward"),
                     _line_of(text, "Spring Festvial:")}
    assert "did you mean 'Spring Festival'" in str(info.value)


def test_an_item_missing_from_items_is_refused_with_a_hint(tmp_path: Path) -> None:
    text = HOTPOT_11.read_text(encoding="utf-8").replace(
        "{parent: dish_tripe, child: tripe,", "{parent: dish_tripe, child: trip,")
    path = _write(tmp_path, "hotpot.yaml", text)
    _refused(path, r"recipes\.lines\[1\]\.child: item not declared in items: 'trip' "
                   r"\(did you mean 'tripe'\?\)")


def test_a_sourceless_parameter_in_a_non_illustrative_pack_is_refused(tmp_path: Path) -> None:
    text = AGRI.read_text(encoding="utf-8").replace("illustrative: true", "illustrative: false")
    text = re.sub(r"source: >-\n(  .*\n)+", "", text, count=1)
    path = _write(tmp_path, "agri.yaml", text)
    err = _refused(path, r"prices\.compound_fertilizer\.source is required")
    fields = {e.field for e in err.errors}
    assert fields == {"prices.compound_fertilizer", "prices.maize_seed", "replenishment"}


def test_a_yaml_bomb_is_refused(tmp_path: Path) -> None:
    bomb = "industry: hotpot\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True))
    path = _write(tmp_path, "bomb.yaml", bomb)
    _refused(path, r"bomb\.yaml:3:\d+: YAML aliases")


def test_a_non_utf8_pack_is_refused(tmp_path: Path) -> None:
    text = HOTPOT_11.read_text(encoding="utf-8")
    path = tmp_path / "gbk.yaml"
    path.write_bytes(text.encode("gb18030"))
    line = _line_of(text, "火锅")
    _refused(path, rf"gbk\.yaml:{line}:\d+: file is not UTF-8")


def test_an_oversized_pack_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "big.yaml", "# " + "x" * 5000 + "\n")
    with pytest.raises(RulePackError, match="over the limit"):
        load_pack(path, max_bytes=1000)


def test_an_empty_or_non_mapping_pack_is_refused(tmp_path: Path) -> None:
    _refused(_write(tmp_path, "empty.yaml", "# nothing\n"), r"empty\.yaml: rule pack is empty")
    _refused(_write(tmp_path, "list.yaml", "- a\n- b\n"), r"list\.yaml:1:1: .*a mapping")


# ------------------------------------------------------------------ versions


def _pack_text(version: str, start: str, until: str | None = None, industry: str = "hotpot",
               ) -> str:
    lines = [f"industry: {industry}", f'version: "{version}"', f"effective_from: {start}"]
    if until:
        lines.append(f"effective_until: {until}")
    lines += ["labels: {zh: 测试, en: Test}", "illustrative: true",
              "replenishment: {safety_days: 1}"]
    return "\n".join(lines) + "\n"


def test_overlapping_effective_dates_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", _pack_text("2026.10", "2026-10-01"))
    _write(tmp_path, "b.yaml", _pack_text("2026.11", "2026-10-01"))
    with pytest.raises(RulePackError, match=r"b\.yaml:3:17: overlapping effective dates"):
        load_packs(tmp_path)


def test_an_effective_until_past_the_next_version_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", _pack_text("2026.10", "2026-10-01", until="2026-11-15"))
    _write(tmp_path, "b.yaml", _pack_text("2026.11", "2026-11-01"))
    with pytest.raises(RulePackError, match=r"b\.yaml:3:17: overlapping effective dates: "
                                            r".*runs until 2026-11-15"):
        load_packs(tmp_path)


def test_a_duplicate_version_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", _pack_text("2026.10", "2026-10-01"))
    _write(tmp_path, "b.yaml", _pack_text("2026.10", "2026-10-05"))
    with pytest.raises(RulePackError, match=r"b\.yaml:2:10: duplicate hotpot \(chain\) version"):
        load_packs(tmp_path)


def test_versions_out_of_date_order_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", _pack_text("2026.11", "2026-10-01"))
    _write(tmp_path, "b.yaml", _pack_text("2026.10", "2026-11-01"))
    with pytest.raises(RulePackError, match=r"version 2026\.10 takes effect on 2026-11-01"):
        load_packs(tmp_path)


def test_one_bad_pack_means_no_packs_are_returned(tmp_path: Path) -> None:
    _write(tmp_path, "good.yaml", _pack_text("2026.10", "2026-10-01"))
    _write(tmp_path, "bad.yaml", _pack_text("2026.11", "2026-11-01").replace(
        "safety_days: 1", "safety_days: -1"))
    with pytest.raises(RulePackError, match=r"bad\.yaml:6:\d+: replenishment\.safety_days"):
        load_packs(tmp_path)


def test_select_picks_the_version_in_force() -> None:
    packs = load_packs(INDUSTRIES)
    assert select(packs, dt.date(2026, 10, 31), industry="hotpot").version == "2026.10"
    assert select(packs, dt.date(2026, 11, 1), industry="hotpot").version == "2026.11"
    store = select(packs, dt.date(2026, 11, 2), industry="hotpot", scope="store-cd-chunxi")
    assert store.scope == "store-cd-chunxi"
    # a store without a pack in force falls back to its chain's
    assert select(packs, dt.date(2026, 10, 2), industry="hotpot",
                  scope="store-cd-chunxi").scope == "chain"
    with pytest.raises(RulePackError, match="no hotpot rule pack in force on 2026-09-30"):
        select(packs, dt.date(2026, 9, 30), industry="hotpot")
    with pytest.raises(RulePackError, match="several industries"):
        select(packs, dt.date(2026, 11, 2))


def test_select_respects_effective_until(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", _pack_text("2026.10", "2026-10-01", until="2026-10-20"))
    packs = load_packs(tmp_path)
    assert select(packs, dt.date(2026, 10, 19)).version == "2026.10"
    with pytest.raises(RulePackError, match="no hotpot rule pack in force"):
        select(packs, dt.date(2026, 10, 20))


# ------------------------------------------------------------------ extends


def test_a_store_pack_overrides_its_chain(tmp_path: Path) -> None:
    store = load_pack(INDUSTRIES / "hotpot" / "stores" / "store-cd-chunxi.yaml")
    chain = load_pack(HOTPOT_11)
    assert store.weather["rain"].dine_in == 0.95
    assert store.weather["rain"].labels == chain.weather["rain"].labels  # merged, not replaced
    assert store.wastage is not None
    assert chain.wastage is not None
    assert store.wastage.turnover is not None
    assert store.wastage.turnover.tables == 46
    assert store.wastage.turnover.guests_per_table == chain.wastage.turnover.guests_per_table
    assert store.holidays == chain.holidays
    assert store.extends == "../2026.11.yaml"
    assert store.changelog != chain.changelog  # never inherited


def test_null_in_a_child_deletes_the_base_key(tmp_path: Path) -> None:
    _write(tmp_path, "base.yaml", _pack_text("2026.10", "2026-10-01")
           + "weather: {rain: {labels: {zh: 雨, en: Rain}, dine_in: 0.8}}\n")
    child = _write(tmp_path, "child.yaml", 'extends: base\nversion: "2026.10"\n'
                   "effective_from: 2026-10-01\nscope: s1\nweather: {rain: null}\n")
    pack = load_pack(child)
    assert pack.weather == {}
    assert pack.scope == "s1"


def test_an_error_in_an_inherited_value_names_the_base_file(tmp_path: Path) -> None:
    _write(tmp_path, "base.yaml", _pack_text("2026.10", "2026-10-01")
           + "weather: {rain: {labels: {zh: 雨, en: Rain}, dine_in: 0.8}}\n")
    child = _write(tmp_path, "child.yaml", 'extends: base.yaml\nversion: "2026.10"\n'
                   "effective_from: 2026-10-01\nweather: {rain: {dine_in: -1}}\n")
    with pytest.raises(RulePackError, match=r"child\.yaml:4:\d+: weather\.rain\.dine_in"):
        load_pack(child)


def test_a_child_must_give_its_own_version(tmp_path: Path) -> None:
    _write(tmp_path, "base.yaml", _pack_text("2026.10", "2026-10-01"))
    child = _write(tmp_path, "child.yaml", "extends: base.yaml\neffective_from: 2026-10-01\n")
    with pytest.raises(RulePackError, match="version is required"):
        load_pack(child)


def test_an_extends_cycle_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", 'extends: b.yaml\nversion: "2026.10"\n')
    _write(tmp_path, "b.yaml", 'extends: c.yaml\nversion: "2026.10"\n')
    _write(tmp_path, "c.yaml", 'extends: a.yaml\nversion: "2026.10"\n')
    with pytest.raises(RulePackError, match=r"c\.yaml:1:10: extends cycle: .*a\.yaml -> "
                                            r".*b\.yaml -> .*c\.yaml -> .*a\.yaml"):
        load_pack(tmp_path / "a.yaml")
    _write(tmp_path, "self.yaml", 'extends: self.yaml\nversion: "2026.10"\n')
    with pytest.raises(RulePackError, match=r"self\.yaml:1:10: extends cycle"):
        load_pack(tmp_path / "self.yaml")


def test_a_missing_base_pack_is_refused(tmp_path: Path) -> None:
    child = _write(tmp_path, "child.yaml", 'extends: nowhere.yaml\nversion: "2026.10"\n')
    with pytest.raises(RulePackError, match=r"child\.yaml:1:10: extends: base pack "
                                            r"'nowhere\.yaml' not found"):
        load_pack(child)


# ------------------------------------------------------------------ diff


def test_diff_of_a_pack_with_itself_is_empty() -> None:
    for path in PACK_FILES:
        pack = load_pack(path)
        assert diff(pack, pack) == []


def test_diff_threshold_is_configurable() -> None:
    old, new = load_pack(HOTPOT_10), load_pack(HOTPOT_11)
    flagged = [c.path for c in diff(old, new, threshold=0.60) if c.review]
    assert "holidays.Spring Festival.dine_in.during[3]" in flagged  # effect +66.7 % > 60 %
    assert "holidays.Spring Festival.dine_in.during[6]" not in flagged  # effect +50 %
    with pytest.raises(ValueError, match="threshold"):
        diff(old, new, threshold=-1)


def test_diff_can_include_metadata() -> None:
    old, new = load_pack(HOTPOT_10), load_pack(HOTPOT_11)
    paths = {c.path for c in diff(old, new, include_metadata=True)}
    assert {"version", "effective_from", "changelog[0]"} <= paths


def test_diff_compares_quantities_by_value() -> None:
    pack = load_pack(AGRI)
    data = pack.to_mapping()
    data["packaging"]["urea"]["pack"]["content"] = "0.04 t"
    same = loads_pack(dump_pack(loads_pack(json_yaml(data))))
    changes = diff(pack, same)
    assert changes == [] or all(c.relative == 0 for c in changes)
    data["packaging"]["urea"]["pack"]["content"] = "50 kg"
    changed = diff(pack, loads_pack(json_yaml(data)))
    assert [(c.path, c.relative, c.review) for c in changed] == [
        ("packaging.urea.pack.content", 0.25, True)]


def json_yaml(data: dict[str, object]) -> str:
    import yaml

    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


# ------------------------------------------------------------------ command line


def test_cli_validate_passes_the_bundled_packs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(INDUSTRIES)]) == 0
    out = capsys.readouterr().out
    assert "hotpot 2026.11 (chain)" in out


def test_cli_validate_prints_every_error_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (HOTPOT_11.read_text(encoding="utf-8")
            .replace("  safety_days: 0.5", "  safty_days: 0.5")
            .replace("dine_in: 0.82", "dine_in: -0.82"))
    bad = _write(tmp_path, "bad.yaml", text)
    assert main(["validate", str(bad), str(AGRI)]) == 1
    err = capsys.readouterr().err
    assert f"bad.yaml:{_line_of(text, 'safty_days')}:" in err
    assert f"bad.yaml:{_line_of(text, 'dine_in: -0.82')}:" in err
    assert "2 problem(s) found" in err


def test_cli_diff_prints_a_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(HOTPOT_10), str(HOTPOT_11)]) == 0
    table = capsys.readouterr().out
    assert "replenishment.safety_days" in table
    assert "-50.0%" in table
    assert "7 marked for review" in table  # six uplifts judged by their effect m − 1
    assert main(["diff", "--json", str(HOTPOT_10), str(HOTPOT_11)]) == 0
    payload = json.loads(capsys.readouterr().out)
    paths = [c["path"] for c in payload["changes"] if c["review"]]
    assert paths == [f"holidays.Spring Festival.dine_in.during[{k}]" for k in range(3, 9)] + [
        "replenishment.safety_days"]
    assert main(["diff", "--fail-on-review", str(HOTPOT_10), str(HOTPOT_11)]) == 1
    capsys.readouterr()
    assert main(["diff", "--threshold", "70%", "--fail-on-review", str(HOTPOT_10),
                 str(HOTPOT_11)]) == 0


def test_cli_diff_of_a_bad_pack_fails_with_its_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _write(tmp_path, "bad.yaml", 'industry: hotpot\nversion: "2026.1x"\n')
    assert main(["diff", str(HOTPOT_10), str(bad)]) == 1
    assert "bad.yaml:" in capsys.readouterr().err


def test_a_bad_holiday_name_and_a_bad_label_are_reported_together(tmp_path: Path) -> None:
    text = _pack_text("2026.10", "2026-10-01") + (
        "holidays:\n  Chinese New Year:\n    labels: {zh: 春节}\n")
    path = _write(tmp_path, "h.yaml", text)
    with pytest.raises(RulePackError) as info:
        load_pack(path)
    found = {(e.field, e.location.line if e.location else None) for e in info.value.errors}
    assert found == {("holidays.Chinese New Year", 8), ("holidays.Chinese New Year.labels.en", 9)}


def test_a_price_in_the_wrong_dimension_for_its_product_is_refused(tmp_path: Path) -> None:
    text = AGRI.read_text(encoding="utf-8").replace("maize_seed: 26 元/kg", "maize_seed: 26 元/L")
    path = _write(tmp_path, "agri.yaml", text)
    _refused(path, rf"agri\.yaml:{_line_of(text, '26 元/L')}:\d+: prices\.maize_seed is per 'L' "
                   r"\(volume\), but packaging\.maize_seed is priced per 'kilogram' \(mass\)")


def test_recipe_errors_point_at_the_bom_line(tmp_path: Path) -> None:
    text = HOTPOT_11.read_text(encoding="utf-8")
    negative = text.replace("{parent: dish_tripe, child: tripe, qty: 0.15,",
                            "{parent: dish_tripe, child: tripe, qty: -0.15,")
    line = _line_of(negative, "qty: -0.15")
    _refused(_write(tmp_path, "neg.yaml", negative),
             rf"neg\.yaml:{line}:\d+: recipes\.lines\[1\]\.qty .*>= 0")
    closing = "    - {parent: tallow_base, child: soup_base, qty: 1}\n"
    cycle = text.replace("    - {parent: soup_base, child: dried_chili, qty: 0.03, unit: kg}\n",
                         "    - {parent: soup_base, child: dried_chili, qty: 0.03, unit: kg}\n"
                         + closing)
    line = _line_of(cycle, "parent: tallow_base, child: soup_base")
    _refused(_write(tmp_path, "cycle.yaml", cycle),
             rf"cycle\.yaml:{line}:\d+: recipes\.lines\[10\]: BOM contains a cycle")


# ------------------------------------------------------------------ boundaries (mutation check)


def test_diff_marks_for_review_only_strictly_above_the_threshold() -> None:
    old = loads_pack(_pack_text("2026.10", "2026-10-01").replace("safety_days: 1",
                                                                 "safety_days: 4"))
    new = loads_pack(_pack_text("2026.11", "2026-11-01").replace("safety_days: 1",
                                                                 "safety_days: 5"))
    (change,) = diff(old, new)
    assert (change.path, change.relative) == ("replenishment.safety_days", 0.25)
    assert not diff(old, new, threshold=0.25)[0].review            # exactly 25 %: not above
    assert diff(old, new, threshold=0.2499)[0].review
    assert diff(new, old, threshold=0.19)[0].review                # -20 %
    assert not diff(new, old, threshold=0.2)[0].review


def test_the_same_quantity_written_in_another_unit_is_no_change() -> None:
    text = AGRI.read_text(encoding="utf-8")
    assert "content: 40 kg}" in text
    tonnes = loads_pack(text.replace("content: 40 kg}", "content: 0.04 t}", 1))
    assert diff(load_pack(AGRI), tonnes) == []
    assert diff(tonnes, load_pack(AGRI)) == []


def test_a_version_may_end_on_the_day_the_next_one_starts(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", _pack_text("2026.10", "2026-10-01", until="2026-11-01"))
    _write(tmp_path, "b.yaml", _pack_text("2026.11", "2026-11-01"))
    packs = load_packs(tmp_path)
    assert select(packs, dt.date(2026, 10, 31)).version == "2026.10"
    assert select(packs, dt.date(2026, 11, 1)).version == "2026.11"


def test_versions_are_ordered_by_date_not_by_file_name(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", _pack_text("2026.11", "2026-11-01"))
    _write(tmp_path, "b.yaml", _pack_text("2026.10", "2026-10-01"))
    packs = load_packs(tmp_path)
    assert select(packs, dt.date(2026, 10, 15)).version == "2026.10"
    assert select(packs, dt.date(2026, 11, 15)).version == "2026.11"


def test_a_child_never_inherits_the_base_changelog_or_approval(tmp_path: Path) -> None:
    _write(tmp_path, "base.yaml", _pack_text("2026.10", "2026-10-01")
           + "approved_by: [chain committee]\n"
           + "changelog: [base change]\n")
    assert load_pack(tmp_path / "base.yaml").changelog
    child = _write(tmp_path, "child.yaml", 'extends: base.yaml\nversion: "2026.10"\n'
                   "effective_from: 2026-10-01\nscope: s1\n")
    pack = load_pack(child)
    assert not pack.changelog
    assert not pack.approved_by
    assert pack.replenishment == load_pack(tmp_path / "base.yaml").replenishment


@pytest.mark.parametrize(("old", "new", "words"), [
    ("takeaway: {prep: 1.5 %, spoilage: 1 %, packaging: 2 %}", "takeaway: {packaging: 1}",
     "wastage.loss_model.channels.takeaway must be a total loss rate < 1"),
    ("yields: {tilapia_live: 0.85,", "yields: {tilapia_live: 0,",
     "wastage.loss_model.yields.tilapia_live must be a yield"),
])
def test_a_loss_rate_of_exactly_1_and_a_yield_of_0_are_refused(tmp_path: Path, old: str,
                                                              new: str, words: str) -> None:
    text = HOTPOT_11.read_text(encoding="utf-8")
    assert old in text
    bad = text.replace(old, new)
    path = _write(tmp_path, "hotpot.yaml", bad)
    _refused(path, rf"hotpot\.yaml:{_line_of(bad, new)}:\d+: {re.escape(words)}")


def test_every_kernel_section_is_built_by_its_kernel_class(monkeypatch: pytest.MonkeyPatch,
                                                          ) -> None:
    import importlib

    from jxc_rules.rules import schema

    for section, (module, name) in schema.KERNEL_SECTIONS.items():
        assert schema.kernel_class(section) is getattr(importlib.import_module(module), name)
    pack = load_pack(HOTPOT_11)
    assert type(pack.live_weight["tilapia_live"]).__name__ == "TransitModel"
    assert type(pack.recipes).__name__ == "Bom"
    # a broken kernel import is raised, never papered over by skipping the section's checks
    real = importlib.import_module

    def broken(name: str, *args: object) -> object:
        if name == "jxc_rules.wastage":
            raise ImportError("simulated broken install")
        return real(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib, "import_module", broken)
    with pytest.raises(ImportError, match="simulated"):
        schema.kernel_class("wastage")


def test_every_sourceless_section_of_a_non_illustrative_pack_is_named(tmp_path: Path) -> None:
    text = HOTPOT_11.read_text(encoding="utf-8").replace("illustrative: true",
                                                         "illustrative: false")
    text = re.sub(r"^source: >-\n(  .*\n)+", "", text, count=1, flags=re.MULTILINE)
    path = _write(tmp_path, "hotpot.yaml", text)
    err = _refused(path, r"hotpot\.yaml:\d+:\d+: ")
    fields = {e.field for e in err.errors}
    assert {"holidays.National Day", "holidays.Labour Day", "holidays.New Year's Day",
            "weather.rain", "weather.snow", "wastage", "replenishment", "recipes",
            "prices.beef_slices", "shelf_life.tofu"} <= fields
    # sections that give their own source are not named
    assert not fields & {"holidays.Spring Festival", "live_weight.tilapia_live",
                         "shelf_life.beef_slices", "packaging.beef_slices"}
    assert all(e.location is not None and e.location.line for e in err.errors)


def test_diff_lists_added_and_removed_parameters_for_review() -> None:
    old = load_pack(HOTPOT_11)
    data = old.to_mapping()
    data["weather"]["hail"] = {"labels": {"zh": "冰雹", "en": "Hail"}, "dine_in": 0.5}
    del data["holidays"]["Labour Day"]
    new = loads_pack(json_yaml(data))
    changes = {c.path: c for c in diff(old, new)}
    added = {p for p, c in changes.items() if c.kind == "added"}
    removed = {p for p, c in changes.items() if c.kind == "removed"}
    assert "weather.hail.dine_in" in added
    assert changes["weather.hail.dine_in"].review
    assert not changes["weather.hail.labels.zh"].review            # labels never for review
    assert removed
    assert all(p.startswith("holidays.Labour Day.") for p in removed)
    assert all(changes[p].review for p in removed if ".labels." not in p
               and not p.endswith(".source"))
    assert {p for p in changes if not p.startswith(("weather.hail", "holidays.Labour Day"))
            } == set()


def test_an_impossible_date_is_refused_at_its_line(tmp_path: Path) -> None:
    text = HOTPOT_11.read_text(encoding="utf-8")
    assert "effective_from: 2026-11-01" in text
    bad = text.replace("effective_from: 2026-11-01", "effective_from: 2026-13-01")
    path = _write(tmp_path, "hotpot.yaml", bad)
    _refused(path, rf"hotpot\.yaml:{_line_of(bad, '2026-13-01')}:\d+: effective_from: bad YAML "
                   r"value '2026-13-01': month must be in 1\.\.12")
