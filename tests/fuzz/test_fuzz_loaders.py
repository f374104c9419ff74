"""Fuzz: the YAML rule-pack loader, the scenario loader and the command line.

Each target (``tests/fuzz/_targets.py``) is driven here by hypothesis in the style of
``fuzz_one_input``: inputs are mutations of the bundled packs and scenarios — byte edits,
structural edits of the parsed YAML (a hostile value at any path, keys deleted or added,
``extends:`` / ``rules:`` / ``csv:`` pointed out of the tree), and known-bad documents (alias
bombs, deep nesting, Python tags, control characters, a file over the size limit). The command
line gets argv built from its own vocabulary, odd values and free text, with ``--max-work`` and a
serial executor appended so no run is long. ``atheris_loaders.py`` runs the same targets
coverage-guided, and ``test_atheris_smoke`` runs it briefly when atheris imports.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz._hostile import TALLY, fuzz_settings, hostile
from tests.fuzz._targets import ROOT, workspace

# ------------------------------------------------------------------ YAML mutations

TOKENS = [b"\x00", b"\xff", b"\xef\xbb\xbf", b"\x1b", b"\t", b"\r\n", b"&a ", b"*a", b"<<: ",
          b"!!python/object/apply:os.system ['true']", b"!!binary ", b"!custom ", b"{", b"}",
          b"[", b"]", b"- ", b": ", b"\n  ", b"'", b'"', b"? ", b"|", b">-", b"%YAML 1.1\n",
          b"---\n", b"...\n", b"~", b".nan", b"-.inf", b"0x1F", b"1e999", b"2026-13-01",
          b"yes", b"\xe6\x96\xa4", "\u2028".encode()]

OUTSIDE_PATHS = ["../../outside/secret.yaml", "../../outside/notpack.yaml",
                 "../../outside/secret.txt", "../../outside/broken.yaml", "link.yaml",
                 "../../outside/secret.csv", "../../outside/binary.csv", "/etc/hostname",
                 "~/secret.yaml", "..", ".", "", " ", "input.yaml", "input", "a\x00b.yaml",
                 "../hotpot/2026.11.yaml", "../hotpot/2026.11", "../hotpot/stores/../2026.10",
                 "../missing.yaml", "hotpot@2026.10", "hotpot@2026.13", "../" * 12 + "x.yaml"]

SPECIAL = [
    b"", b"\n", b"~\n", b"[]\n", b"42\n", b"- a\n- b\n", b"industry: hotpot\n",
    b"a: &a [1, 2]\nb: *a\n",
    b"a: &a ['x','x','x','x','x','x','x','x','x']\n"
    + b"".join(b"%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n"
               % ((bytes([98 + i]),) * 2 + (bytes([97 + i]),) * 9) for i in range(8)),
    b"[" * 5000 + b"]" * 5000, b"a:\n" + b"".join(b"  " * i + b"b:\n" for i in range(1, 400)),
    b"!!python/object/apply:os.system ['echo pwned']\n",
    b"industry: !!python/name:os.system hotpot\n", b"version: !!float 2026.11\n",
    b"industry: hotpot\nindustry: bakery\n", b"? [a, b]\n: 1\n", b"<<: {industry: x}\n",
    b"industry: \x07hotpot\n", "industry: 火锅\u0085\n".encode(), b"\xef\xbb\xbfindustry: x\n",
    b"\xff\xfeindustry: x\n", b"industry: hotpot\x00\n", b"industry: hotpot\r\nversion: 1\r\n",
    b"effective_from: 2026-02-30\n", b"version: 2026.1\nindustry: x\n",
    b"industry: x\nversion: '9999.99'\neffective_from: 9999-12-31\n",
]


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _yaml_value(value: Any) -> Any:
    """A hostile value as YAML can write it (Decimal, Fraction, arrays become text)."""
    if value is None or type(value) in (bool, int, str, float, dt.date):
        return value
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_yaml_value(v) for v in value][:8]
    if isinstance(value, dict):
        return {str(k): _yaml_value(v) for k, v in value.items()}
    return str(value)


def _set(data: Any, path: tuple[Any, ...], value: Any, action: str) -> None:
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "sibling" and isinstance(parent, dict):
        parent[f"{last}_x"] = value
    elif action == "sibling" and isinstance(parent, list):
        parent.append(value)
    else:
        parent[last] = value


@st.composite
def structural(draw: st.DrawFn, seed: bytes) -> bytes:
    data = yaml.safe_load(seed.decode("utf-8"))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        if not paths or not isinstance(data, dict):
            break
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "delete", "sibling"]))
        value = _yaml_value(draw(st.one_of(hostile(), st.sampled_from(
            [math.nan, -math.inf, 10**400, -1, 0, "", "15 %", "-5 %", "2026-13-01",
             dt.date(1, 1, 1), {"a": 1}, [None], "hotpot", "dine_in", "外卖"]))))
        _set(data, path, value, action)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")


OUTSIDE = [p for p in OUTSIDE_PATHS if "outside" in p or p in ("link.yaml", "/etc/hostname")]


@st.composite
def aimed(draw: st.DrawFn, seed: bytes, kind: str) -> bytes:
    """A bundled file with one path-taking field aimed where it must not read (or at odd
    paths): a pack's ``extends:``; a scenario's ``rules:`` or an item's demand ``csv:``."""
    data = yaml.safe_load(seed.decode("utf-8"))
    value = draw(st.one_of(st.sampled_from(OUTSIDE), st.sampled_from(OUTSIDE_PATHS)))
    field = "extends" if kind == "pack" else draw(st.sampled_from(
        ["csv", "csv", "rules.baseline", "rules.candidate"]))
    if field == "csv":
        items = data.get("items") or {"x": {}}
        item = draw(st.sampled_from(sorted(items)))
        data.setdefault("items", {}).setdefault(item, {})
        channel = draw(st.sampled_from(data.get("channels") or ["dine_in"]))
        data["items"][item]["demand"] = {channel: {"csv": value}}
    elif field.startswith("rules."):
        rules = data.get("rules")
        data["rules"] = rules if isinstance(rules, dict) else {}
        data["rules"][field.split(".")[1]] = value
    else:
        data[field] = value
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")


@st.composite
def byte_edits(draw: st.DrawFn, seed: bytes) -> bytes:
    buf = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        n = len(buf)
        at = draw(st.integers(0, n))
        op = draw(st.sampled_from(["insert", "insert", "delete", "flip", "dup", "truncate"]))
        if op == "insert":
            buf[at:at] = draw(st.one_of(st.sampled_from(TOKENS), st.binary(max_size=6)))
        elif op == "delete":
            del buf[at:at + draw(st.integers(1, 40))]
        elif op == "flip" and n:
            buf[min(at, n - 1)] ^= 1 << draw(st.integers(0, 7))
        elif op == "dup":
            buf[at:at] = buf[at:at + draw(st.integers(1, 200))]
        else:
            del buf[at:]
    return bytes(buf)


def yaml_inputs(kind: str) -> st.SearchStrategy[bytes]:
    seeds = workspace().seeds[kind]
    seed = st.sampled_from(seeds)
    return st.one_of(
        seed.flatmap(structural),
        seed.flatmap(structural),
        seed.flatmap(lambda s: aimed(s, kind)),
        seed.flatmap(byte_edits),
        st.sampled_from(SPECIAL),
        st.binary(max_size=64),
    )


@fuzz_settings(4)
@given(data=yaml_inputs("pack"))
def test_pack_loader(data: bytes) -> None:
    ws = workspace()
    ws.pack(data)
    ws.pack_text(data)


@fuzz_settings(4)
@given(data=yaml_inputs("scenario"))
def test_scenario_loader(data: bytes) -> None:
    workspace().scenario(data)


def test_loaders_size_limit() -> None:
    """One file just over the 1 MiB limit each: refused before it is parsed."""
    from jxc_rules._internal.yaml_source import MAX_BYTES

    ws = workspace()
    big = b"industry: hotpot\n" + b"#" * MAX_BYTES
    for result in (ws.pack(big), ws.scenario(big)):
        assert "over the limit" in str(result)


# ------------------------------------------------------------------ the command line

PACKS = ["hotpot", "hotpot@2026.10", "hotpot@2026.11", "bakery", "agri-inputs@2026.11",
         "hotpot@1999.01", "nosuch", "industries/hotpot/2026.11.yaml",
         "industries/hotpot/stores/store-cd-chunxi.yaml", "industries/fuzz/input.yaml",
         "industries", "industries/hotpot", "outside/secret.yaml", "outside/notpack.yaml",
         "outside/secret.txt", "outside", "missing.yaml", "/dev/null", "-", ""]
SCENARIOS = ["base-stock-poisson", "hotpot-spring-festival",
             "simulator/scenarios/base-stock-poisson.yaml", "simulator/scenarios/input.yaml",
             "outside/secret.txt", "outside/secret.yaml", "nosuch-scenario", "/dev/null", ""]
OUTPUTS = ["-", "out.json", "out.html", "outside", "missing/x.json", "/dev/null", "/dev/full",
           "", "simulator"]
NUMBERS = ["0", "1", "2", "3", "-1", "1e9", "999999999999", "18446744073709551617", "nan", "inf",
           "0.5", "x", "", " "]
FLAG_VALUES: dict[str, list[str]] = {
    "--threshold": ["0.15", "15%", "0", "-1", "-5%", "nan", "inf", "x", "%", ""],
    "--trials": ["1", "2", "3", *NUMBERS],
    "--seed": ["0", "7", "-1", "18446744073709551617", "x"],
    "--chunk-trials": ["1", "2", "0", "-1", "x", "999999999999"],
    "--sweep": ["demand.scale=0.5:1.5:0.5", "demand.scale=0:1000:0.001", "x=1:0:1", "a=b",
                "holiday.spring_festival.dine_in.uplift=0:0.8:0.4", "=", "demand.scale=1:1:0",
                "demand.scale=nan:1:0.5", ""],
    "--materiality": ["stockout_rate=0.002", "stockout_rate=nan", "gross_margin=-1",
                      "nosuch=1", "=", "x", "stockout_rate=inf"],
    "--lang": ["zh", "en", "fr", ""],
    "--workers": ["1", "2", "0", "-1", "x"],
    "--executor": ["serial", "threads", "processes", "dask", "gpu"],
    "--max-work": ["1", "0", "-1", "nan", "inf", "1e3", "x"],
}
VALUES = sorted({v for vs in FLAG_VALUES.values() for v in vs})
FLAGS = {
    "validate": ["-q", "--quiet"],
    "diff": ["--json", "--metadata", "--cross-industry", "--fail-on-review", "--threshold"],
    "simulate": ["--rules", "--compare", "--trials", "--seed", "--chunk-trials", "--json",
                 "--report", "--sweep", "--materiality", "--lang", "--workers", "--executor",
                 "--max-work"],
}


def _free_text(text: str) -> str:
    """Free text cannot name a path outside the workspace."""
    return text.replace("/", "_").replace("\\", "_").replace("..", "_")


FREE = st.text(max_size=10).map(_free_text)


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(["simulate"] * 7 + ["validate"] * 4 + ["diff"] * 4
                                   + ["demo", "--help", "-h", "bogus", ""]))
    argv = [command]
    usual = draw(st.integers(0, 9)) > 0  # mostly the right number of positionals
    if command == "simulate":
        n = 1 if usual else draw(st.sampled_from([0, 2]))
        argv += [draw(st.sampled_from(SCENARIOS)) for _ in range(n)]
    elif command == "diff":
        n = 2 if usual else draw(st.sampled_from([0, 1, 3]))
        argv += [draw(st.sampled_from(PACKS)) for _ in range(n)]
    elif command == "validate":
        argv += [draw(st.sampled_from(PACKS)) for _ in range(draw(st.integers(0 if not usual
                                                                              else 1, 3)))]
    for _ in range(draw(st.integers(0, 4))):
        flag = draw(st.sampled_from([*FLAGS.get(command, []), *FLAGS.get(command, []),
                                     "--help", "--bogus"]))
        argv.append(flag)
        if flag in ("--json", "--report") and command == "simulate":
            argv.append(draw(st.sampled_from(OUTPUTS)))
        elif flag in ("--rules", "--compare"):
            argv.append(draw(st.sampled_from(PACKS)))
        elif flag in FLAG_VALUES:
            argv.append(draw(st.one_of(st.sampled_from(FLAG_VALUES[flag]),
                                       st.sampled_from(FLAG_VALUES[flag]), FREE)))
    if draw(st.integers(0, 6)) == 0:
        argv.insert(draw(st.integers(0, len(argv))), draw(FREE))
    if command == "simulate":  # the last value wins: every run is small and serial
        if "--trials" not in argv:
            argv += ["--trials", draw(st.sampled_from(["1", "2", "3"]))]
        argv += ["--max-work", "3000", "--workers", "1", "--executor", "serial"]
    return argv


@fuzz_settings(1.5)
@given(argv=argvs())
def test_cli(argv: list[str]) -> None:
    workspace().cli(argv)


# ------------------------------------------------------------------ atheris, briefly

def _atheris_available() -> bool:
    try:
        import atheris  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _atheris_available(), reason="atheris does not import here "
                    "(pip install 'jxc-rules[fuzz]')")
def test_atheris_smoke(tmp_path: Path) -> None:
    """The coverage-guided targets run a fixed number of inputs each (``JXC_FUZZ_RUNS``,
    default 1.5 times the profile's example budget: 60 under ``ci``, 150 under ``dev``; seed 1,
    so a run is repeatable) and find nothing; all three at once."""
    from hypothesis import settings

    runs = int(os.environ.get("JXC_FUZZ_RUNS", str(round(1.5 * settings.default.max_examples))))
    procs = {}
    for target in ("pack", "scenario", "cli"):
        corpus = tmp_path / target
        corpus.mkdir()
        seeds = workspace().seeds.get(target, [b"validate\x00hotpot"])
        for i, seed in enumerate(seeds):
            (corpus / f"seed{i}").write_bytes(seed)
        procs[target] = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "fuzz" / "atheris_loaders.py"), target,
             f"-runs={runs}", "-seed=1", f"-artifact_prefix={tmp_path}/{target}-",
             "-print_final_stats=1", "-rss_limit_mb=2048", "-timeout=30", str(corpus)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
            env={**os.environ, "JXC_FUZZ_LOG": ""})
    problems = []
    for target, proc in procs.items():
        try:
            _out, err = proc.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate()
        done = re.search(r"Done (\d+) runs", err)
        crashes = sorted(tmp_path.glob(f"{target}-crash-*"))
        failed = int(proc.returncode != 0) + len(crashes)
        TALLY.count(f"atheris:{target}", inputs=int(done.group(1)) if done else 0,
                    failures=failed)
        if failed or not done:
            problems.append(f"{target}: exit {proc.returncode}, {len(crashes)} crash file(s)"
                            f"\n{err[-3000:]}")
    assert not problems, "\n\n".join(problems)
