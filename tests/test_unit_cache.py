"""The registry's definitions cache (#16: the unit registry is built fast, and once): published
atomically, read-only once complete, and never the reason an import fails."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROBE = ("import jxc_rules.units as u; "
         "print(u.convert('3', 'jin', 'kg'), u.convert('1', 'dozen', 'pcs'), "
         "u.ureg.Quantity(1, 'bag').to_base_units(), len(u.ureg._units))")


def _import(cache: Path | str, **env: str) -> str:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True, env={**os.environ, "JXC_RULES_CACHE_DIR": str(cache),
                                          **env})
    return out.stdout


def _snapshot(folder: Path) -> dict[str, tuple[int, float]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime) for p in folder.iterdir()}


def test_the_cache_is_published_once_then_only_read(tmp_path: Path) -> None:
    uncached = _import(tmp_path / "off", JXC_RULES_UNIT_CACHE="0")
    assert not (tmp_path / "off").exists()                 # off means off
    assert _import(tmp_path) == uncached                   # publishes, same registry
    (folder,) = list(tmp_path.iterdir())
    assert folder.name.startswith("pint-")
    assert (folder / "COMPLETE").is_file()
    assert not stat.S_IMODE(folder.stat().st_mode) & 0o222  # read-only once complete
    before = _snapshot(folder)
    assert _import(tmp_path) == uncached                   # reads it, same registry
    assert _snapshot(folder) == before                     # and writes nothing


def test_workers_importing_at_once_all_get_the_same_registry(tmp_path: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        outs = list(pool.map(lambda _: _import(tmp_path), range(8)))
    assert len(set(outs)) == 1
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 1                     # no half-built folder left
    assert names[0].startswith("pint-")


def test_a_damaged_cache_falls_back_to_the_uncached_build(tmp_path: Path) -> None:
    good = _import(tmp_path)
    (folder,) = list(tmp_path.iterdir())
    os.chmod(folder, stat.S_IRWXU)
    for pickle in folder.glob("*.pickle"):
        os.chmod(pickle, stat.S_IRUSR | stat.S_IWUSR)
        pickle.write_bytes(pickle.read_bytes()[:40])     # truncated mid-write, say
    assert _import(tmp_path) == good


def test_a_cache_folder_that_cannot_be_made_is_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    assert _import(blocker / "sub") == _import(tmp_path / "x", JXC_RULES_UNIT_CACHE="0")
