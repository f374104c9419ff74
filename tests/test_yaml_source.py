"""Safe YAML with line marks: what it reads, what it refuses, and where it says the problem is."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules._internal.yaml_source import (
    format_path,
    load_yaml,
    loads_yaml,
    locate,
    located,
    parse_path,
    relocate,
)
from jxc_rules.errors import RulePackError, ScenarioError, ValidationError, bad_value

DOC = """\
industry: hotpot
effective_from: 2026-11-01
packaging:
  urea:
    levels:
      bag: 40 kg
lines:
  - {parent: a, child: b, qty: 2}
  - parent: a
    child: c
    qty: 3
"""


def test_plain_data_and_dates_are_built() -> None:
    data, _ = loads_yaml(DOC, filename="p.yaml")
    assert data["industry"] == "hotpot"
    assert data["effective_from"] == dt.date(2026, 11, 1)
    assert data["packaging"]["urea"]["levels"]["bag"] == "40 kg"
    assert data["lines"][1] == {"parent": "a", "child": "c", "qty": 3}


def test_marks_point_at_values_and_keys() -> None:
    _, marks = loads_yaml(DOC, filename="p.yaml")
    assert str(locate(marks, ("packaging", "urea", "levels", "bag"))) == "p.yaml:6:12"
    assert str(locate(marks, ("packaging", "urea", "levels", "bag"), key=True)) == "p.yaml:6:7"
    assert str(locate(marks, ("lines", 1, "qty"))) == "p.yaml:11:10"
    assert str(locate(marks, ("lines", "1", "qty"))) == "p.yaml:11:10"
    # a missing node falls back to its nearest ancestor
    assert str(locate(marks, ("lines", 1, "nope", "deeper"))) == "p.yaml:9:5"
    assert str(locate(marks, ("absent",))) == "p.yaml:1:1"  # the root node


def test_relocate_maps_a_kernel_field_to_its_line() -> None:
    _, marks = loads_yaml(DOC, filename="p.yaml")
    err = relocate(bad_value("levels.bag", "40 L", "a mass"), marks, ("packaging", "urea"))
    assert isinstance(err, RulePackError)
    assert err.location is not None
    assert err.location.line == 6
    assert err.field == "packaging.urea.levels.bag"
    assert "packaging.urea.levels.bag must be a mass" in str(err)


def test_relocate_uses_row_as_list_index() -> None:
    _, marks = loads_yaml(DOC, filename="p.yaml")
    exc = ValidationError("qty must be > 0", field="lines", row=1)
    err = relocate(exc, marks, ())
    assert err.location is not None
    assert err.location.line == 9
    assert err.field == "lines[1]"


def test_relocate_can_build_scenario_errors() -> None:
    _, marks = loads_yaml(DOC, filename="s.yaml")
    with pytest.raises(ScenarioError, match=r"s\.yaml:2:17"), located(
        marks, (), error=ScenarioError
    ):
        raise bad_value("effective_from", "x", "a date")


def test_aliases_are_refused_by_default() -> None:
    text = "a: &x {b: 1}\nc: *x\n"
    with pytest.raises(RulePackError, match=r"f\.yaml:2:4: YAML aliases"):
        loads_yaml(text, filename="f.yaml")
    data, _ = loads_yaml(text, filename="f.yaml", allow_aliases=True)
    assert data == {"a": {"b": 1}, "c": {"b": 1}}


BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_billion_laughs_is_refused_even_when_aliases_are_allowed(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    with pytest.raises(RulePackError, match=r"bomb\.yaml:2:\d+: YAML aliases"):
        load_yaml(path)
    with pytest.raises(RulePackError, match=r"bomb\.yaml:\d+:\d+: .*more than 1000 nodes"):
        load_yaml(path, allow_aliases=True, max_nodes=1000)


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 2000 + "\n", encoding="utf-8")
    with pytest.raises(RulePackError, match=r"big\.yaml: file is \d+ bytes, over the limit"):
        load_yaml(path, max_bytes=1000)


def test_non_utf8_file_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("industry: hotpot\nlabel: 火锅\n".encode("gbk"))
    with pytest.raises(RulePackError, match=r"gbk\.yaml:2:8: file is not UTF-8"):
        load_yaml(path)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + "label: 火锅\n".encode())
    data, _ = load_yaml(path)
    assert data == {"label": "火锅"}


def test_missing_file_is_a_rule_pack_error(tmp_path: Path) -> None:
    with pytest.raises(RulePackError, match="cannot read file"):
        load_yaml(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("a: 1\na: 2\n", r"t\.yaml:2:1: duplicate key 'a'"),
        ("a: [1, 2\n", r"t\.yaml:2:1: invalid YAML"),
        ("? [1, 2]\n: x\n", r"t\.yaml:1:3: mapping keys must be plain scalars"),
        ("a: !!python/object:os.system x\n", r"t\.yaml:1:4: "),
        ("base: {x: 1}\nb:\n  <<: {y: 2}\n", r"t\.yaml:3:3: merge keys"),
        # an impossible date: PyYAML raises a bare ValueError, refused here with its line
        ("a: 1\neffective_from: 2026-13-01\n",
         r"t\.yaml:2:17: effective_from: bad YAML value '2026-13-01': month must be in 1\.\.12"),
        ("2026-02-30: x\n", r"t\.yaml:1:1: bad YAML key '2026-02-30'"),
        # control characters: PyYAML's reader refused them with a raw ReaderError (found by atheris)
        ("a: b\x1e\n", r"t\.yaml:1:5: invalid YAML: character U\+001E is not allowed"),
    ],
)
def test_bad_yaml_is_refused_with_its_line(text: str, pattern: str) -> None:
    with pytest.raises(RulePackError, match=pattern):
        loads_yaml(text, filename="t.yaml")


def test_empty_document_is_none() -> None:
    assert loads_yaml("", filename="e.yaml")[0] is None


@given(
    st.lists(
        st.one_of(
            st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True),
            st.integers(min_value=0, max_value=99),
        ),
        max_size=5,
    )
)
def test_parse_path_inverts_format_path(parts: list[str | int]) -> None:
    if parts and isinstance(parts[0], int):
        parts = ["root", *parts]
    assert parse_path(format_path(parts)) == tuple(parts)


def test_located_splits_an_error_carrying_several_problems() -> None:
    from jxc_rules.rules.schema import HolidayProfile

    _, marks = loads_yaml("h:\n  during: [1, -1]\n  befor: [2]\n", filename="h.yaml")
    with pytest.raises(RulePackError) as info, located(marks, ("h",)):
        HolidayProfile.from_mapping({"during": [1, -1], "befor": [2]})
    errors = info.value.errors
    assert [str(e.location) for e in errors] == ["h.yaml:3:3", "h.yaml:2:15"]
    assert [e.field for e in errors] == ["h.befor", "h.during[1]"]
    assert "did you mean 'before'" in str(info.value)


def test_the_node_cap_counts_every_expanded_node_exactly() -> None:
    # mapping + list + 2 scalars = 4 nodes (keys are not counted)
    assert loads_yaml("a: [1, 2]\n", max_nodes=4)[0] == {"a": [1, 2]}
    with pytest.raises(RulePackError, match="more than 3 nodes"):
        loads_yaml("a: [1, 2]\n", max_nodes=3)
    # aliases count once per use after expansion
    text = "a: &x [1, 2]\nb: *x\n"
    assert loads_yaml(text, allow_aliases=True, max_nodes=7)[0] == {"a": [1, 2], "b": [1, 2]}
    with pytest.raises(RulePackError, match="more than 6 nodes"):
        loads_yaml(text, allow_aliases=True, max_nodes=6)


def test_absurdly_deep_nesting_is_refused_not_a_crash() -> None:
    deep = "a: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(RulePackError, match=r"deep\.yaml:1:\d+: YAML nesting is too deep"):
        loads_yaml(deep, filename="deep.yaml")
    assert loads_yaml("a: " + "[" * 50 + "]" * 50 + "\n")[0] is not None
