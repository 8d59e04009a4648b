"""The README is an overview that links out: every in-page anchor and every repository link resolves."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return "#" + text.replace(" ", "-")


def test_every_anchor_names_a_heading():
    headings = {github_anchor(line.lstrip("#")) for line in README.splitlines() if line.startswith("#")}
    anchors = {target for target in LINK.findall(README) if target.startswith("#")}
    assert anchors  # the contents line links its sections
    assert sorted(anchors - headings) == []


def test_every_repository_link_exists():
    local = [
        target.split("#")[0]
        for target in LINK.findall(README)
        if not target.startswith(("#", "http://", "https://", "mailto:"))
    ]
    assert local
    assert sorted(target for target in local if not (REPO / target).exists()) == []
