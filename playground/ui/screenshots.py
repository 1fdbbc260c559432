"""The README's screenshots, made on purpose (never by a test run): ``python -m playground.ui.screenshots``.

Serves the app on the shipped checkpoints, drives each tab in headless Chromium (playwright, a development
requirement, over Debian's /usr/bin/chromium) into a view worth showing, and writes docs/screenshot*.png.
Run it when the page changes, look at the PNGs, commit them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playground.ui.page import launch, open_page
from playground.ui.scenes import SCENES

ROOT = Path(__file__).resolve().parents[2]


def capture(page, element: str | None, path: Path) -> None:
    """The whole page (None), one element ("#id"), or the band from one element's top to another's bottom
    ("#top..#bottom")."""
    if element is None:
        page.screenshot(path=str(path), full_page=True)
    elif ".." not in element:
        page.locator(element).screenshot(path=str(path))
    else:  # a viewport tall enough for the whole band, then a clip of it (page coordinates at scroll 0)
        page.set_viewport_size({"width": page.viewport_size["width"], "height": 4000})
        page.wait_for_timeout(1000)  # the charts redraw at the new size
        page.evaluate("window.scrollTo(0, 0)")
        top, bottom = (page.locator(e).bounding_box() for e in element.split(".."))
        page.screenshot(path=str(path), clip=dict(x=0, y=top["y"] - 8, width=page.viewport_size["width"],
                                                  height=bottom["y"] + bottom["height"] - top["y"] + 16))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs (default: docs/)")
    p.add_argument("--only", nargs="+", choices=sorted(SCENES), help="just these screenshots")
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from playground.ui import ModelStore, build_demo
    from playground.ui.server import serve

    url, demo = serve(build_demo(ModelStore.discover()))
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as pw:
            browser = launch(pw)
            for name in args.only or SCENES:
                scene, element = SCENES[name]
                page = open_page(browser, url)
                scene(page)
                page.wait_for_timeout(1500)  # the last draws and transitions settle
                path = args.out / name
                capture(page, element, path)
                print(f"{path} ({path.stat().st_size // 1024} KB)")
                page.close()
            browser.close()
    finally:
        demo.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
