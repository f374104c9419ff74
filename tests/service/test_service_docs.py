"""docs/service.md: every ``sh`` example that calls ``$JXC`` runs against a live server and
answers what the ``json`` block after it shows; every endpoint the page names exists."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "service.md"
DOC = PAGE.parent / "openapi.json"
PAIR = re.compile(r"```sh\n([^`]*)```\n```json\n([^`]*)```")


def _answers(text: str) -> list[Any]:
    """The JSON values of a block: one per line group (several commands, several answers)."""
    dec = json.JSONDecoder()
    out, i = [], 0
    text = text.strip()
    while i < len(text):
        value, end = dec.raw_decode(text, i)
        out.append(value)
        i = end
        while i < len(text) and text[i].isspace():
            i += 1
    return out


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_examples_answer_what_the_page_shows(live: Any) -> None:
    server, tok = live
    pairs = PAIR.findall(PAGE.read_text(encoding="utf-8"))
    assert len(pairs) >= 7
    env = {"JXC": server.url, "TOKEN": tok["all"], "PATH": "/usr/bin:/bin"}
    for command, shown in pairs:
        assert "$JXC" in command
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", command], env=env,
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, (command, run.stderr)
        got = _answers(run.stdout)
        assert got == _answers(shown), command


def test_every_endpoint_the_page_names_exists() -> None:
    paths = set(json.loads(DOC.read_text(encoding="utf-8"))["paths"])
    text = PAGE.read_text(encoding="utf-8")
    named = {"/v1" + p for p in re.findall(r"`(?:GET )?(/(?:units|packaging|live-weight|"
                                             r"wastage|bom|rules|reservations|stock|jobs|"
                                             r"admin)[a-z/{}_.-]*)", text)}
    norm = {re.sub(r"\{[^}]+\}", "{}", p.rstrip("/")) for p in named}
    known = {re.sub(r"\{[^}]+\}", "{}", p) for p in paths}
    missing = sorted(p for p in norm if p not in known and "…" not in p)
    assert not missing, missing
