"""Headless Chromium (Debian's `chromium` package, which `make setup` installs as root) for the
tests that look at a page as a person would: the DOM after rendering, and a screenshot."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

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
