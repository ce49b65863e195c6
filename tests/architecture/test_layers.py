"""The layer rules of ../shared/architecture.md hold: the import contracts (`.importlinter`,
also run by `lint-imports` in scripts/test.sh) and a core that names no transport."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import grimp

from tests.architecture.acyclic import module_cycles

ROOT = Path(__file__).resolve().parents[2]
# Words only a channel adapter has a reason to say: its transport protocol and its library.
# (WhatsApp stays a word of the core: staff register requests that came "by WhatsApp", a
# channel of the annual report, whether or not the WhatsApp adapter is running.)
TRANSPORT = re.compile(r"\b(imap\w*|smtp\w*|telegram\w*|aioimaplib|aiosmtplib|pywa)\b", re.I)


def test_every_import_contract_is_kept() -> None:
    """`lint-imports` passes: every contract of .importlinter is kept."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_no_module_of_the_core_names_a_transport() -> None:
    """Nothing under bot/ mentions IMAP, SMTP or Telegram, in code or comments: a module that
    needs to is part of a channel adapter."""
    offenders = {
        str(path.relative_to(ROOT)): sorted({m.group(0).lower() for m in TRANSPORT.finditer(text)})
        for path in sorted((ROOT / "bot").rglob("*.py"))
        if TRANSPORT.search(text := path.read_text())
    }
    assert offenders == {}


def test_the_cycle_finder_finds_cycles() -> None:
    """The custom contract is not blind: a two-module cycle and a longer one are reported, a
    chain is not."""
    graph = grimp.ImportGraph()
    for module in ("p", "p.a", "p.b", "p.c", "p.d", "p.e"):
        graph.add_module(module)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.a")
    graph.add_import(importer="p.c", imported="p.d")
    graph.add_import(importer="p.d", imported="p.e")
    assert module_cycles(graph, "p") == [["p.a", "p.b"]]
    graph.add_import(importer="p.e", imported="p.c")
    assert module_cycles(graph, "p") == [["p.a", "p.b"], ["p.c", "p.d", "p.e"]]
