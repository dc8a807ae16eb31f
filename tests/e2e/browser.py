"""Headless Chromium (Debian's `chromium` package, which `make setup` installs as root) for the
tests that look at a page as a person would: the DOM after rendering, and a screenshot; and how
those tests read the run report's figures from the DOM."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from crmsync.local import PROJECT_ROOT

#: Where screenshots are kept for a person to look at (output/ is not versioned).
ARTIFACTS = PROJECT_ROOT / "output" / "test-artifacts"

#: Chromium's own background traffic (updates, sync, field trials) is refused by a closed
#: network, many connections at a time: the page needs none of it.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)
TIMEOUT_S = 120


def installed() -> bool:
    """Whether there is a Chromium to run."""
    return bool(shutil.which("chromium") or shutil.which("chromium-browser"))


def chromium() -> str:
    """The Chromium executable, or skip the test (saying how to get it) when there is none."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("chromium is not installed (as root, `make setup` installs Debian's package)")
    return found


def _run(page: Path, *options: str) -> str:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        result = subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", *options, page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    assert result.returncode == 0, f"chromium exited {result.returncode}: {result.stderr[-2000:]}"
    return result.stdout


def dump_dom(page: Path) -> str:
    """The page's DOM as Chromium serialises it once loaded (`--dump-dom`)."""
    dom = _run(page, "--dump-dom")
    assert "<html" in dom, "chromium printed no DOM"
    return dom


def screenshot(page: Path, png: Path, *, width: int = 1280, height: int = 2000) -> Path:
    """A PNG of the page's first `height` pixels in a `width` wide window."""
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    _run(page, f"--window-size={width},{height}", f"--screenshot={png.resolve()}")
    assert png.exists(), "chromium wrote no screenshot"
    assert png.stat().st_size > 0, "chromium wrote an empty screenshot"
    return png


def section_screenshot(
    page: Path, section_id: str, png: Path, *, width: int = 1280, height: int = 1200
) -> Path:
    """A PNG of the page's header and one section, styled as on the page: a copy of the page
    whose other sections are hidden (headless Chromium's `--screenshot` shoots the top of a
    page; given the section's `#fragment` it shoots a blank window)."""
    hide = f"<style>nav, main > section:not(#{section_id}) {{ display: none; }}</style>"
    with tempfile.TemporaryDirectory(prefix="section-") as folder:
        copy = Path(folder) / page.name
        copy.write_text(page.read_text().replace("</head>", f"{hide}</head>", 1))
        return screenshot(copy, png, width=width, height=height)


def shown(dom: str, attribute: str, kind: str) -> int:
    """The number the first element marked `data-<attribute>="<kind>"` shows."""
    found = re.search(rf'data-{attribute}="{kind}"[^>]*>\s*(\d+)\s*<', dom)
    assert found, f"the page shows no data-{attribute}={kind}"
    return int(found.group(1))


def section(dom: str, name: str) -> str:
    """The inside of the page's `<section id="<name>">`."""
    found = re.search(rf'<section id="{name}">(.*?)</section>', dom, re.DOTALL)
    assert found, f"the page has no {name} section"
    return found.group(1)
