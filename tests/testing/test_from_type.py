"""``st.from_type(T).example()`` works for every public value type of jxc_rules once
``jxc_rules.testing`` is imported, and ``st.builds`` fills host functions annotated with them."""

from __future__ import annotations

import inspect
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jxc_rules
import jxc_rules.testing as jt
from jxc_rules.bom import Bom, explode
from jxc_rules.packaging import Packaging, ProductProfile
from jxc_rules.testing.types import _UNREGISTERED, REGISTERED

PUBLIC_CLASSES = sorted(
    name for name in jxc_rules.__all__
    if inspect.isclass(getattr(jxc_rules, name))
    and not issubclass(getattr(jxc_rules, name), BaseException))


def test_every_public_class_is_registered_or_listed_as_a_resource() -> None:
    registered = {cls.__name__ for cls in REGISTERED}
    missing = [n for n in PUBLIC_CLASSES if n not in registered and n not in _UNREGISTERED]
    assert missing == []


@pytest.mark.parametrize("name", [n for n in PUBLIC_CLASSES if n not in _UNREGISTERED])
def test_from_type_example_works(name: str) -> None:
    cls = getattr(jxc_rules, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # .example() outside @given warns by design
        value = st.from_type(cls).example()
    assert isinstance(value, cls), (name, value)


def host_pick(bom: Bom, profile: ProductProfile, pack: Packaging) -> tuple[Bom, str, int]:
    """A host function annotated with our types (what st.builds infers from)."""
    return bom, profile.sku, len(pack.levels) if hasattr(pack, "levels") else 1


@settings(max_examples=10, deadline=None)
@given(st.builds(host_pick))
def test_builds_infers_library_arguments(result: tuple[Bom, str, int]) -> None:
    bom, sku, _ = result
    assert isinstance(bom, Bom)
    assert sku


@settings(max_examples=10, deadline=None)
@given(bom=...)
def test_given_infers_a_bom_from_its_annotation(bom: Bom) -> None:
    tops = sorted(n for n in bom.items if bom.graph.in_degree(n) == 0 and n not in bom.leaves)
    assert set(explode(bom, tops[0], 1)) <= bom.leaves


def test_registration_is_idempotent() -> None:
    before = dict(REGISTERED)
    jt.register_type_strategies()
    assert before == REGISTERED
