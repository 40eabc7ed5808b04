"""The HTML report in a real browser: ``python -m tests.browser [--out DIR] [EXPERIMENT ...]``.

Runs each experiment (default: every shipped one) at a few hundred paths, writes its report,
opens report.html in headless Chromium (puppeteer-core and @sparticuz/chromium, installed from the
npm registry into a cache folder on first use) and fails if an image does not decode, a chart is
missing, the page logs an error, reaches for the network, scrolls sideways, or shows "nan" or
"0.0%". Writes a full-page screenshot of each report to ``--out`` (default reports/browser-check)
for a person to look at. Needs node and npm; ``.ci/run`` runs it where they exist.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: pinned so that a run today and a run next year test the same browser
PACKAGES = ("@sparticuz/chromium@153.0.0", "puppeteer-core@24")
VIEWPORT = 1280
#: text a reader must never see in a report: a number that failed, or a share below resolution
FORBIDDEN = (re.compile(r"\bnan\b", re.I), re.compile(r"(?<![\d.])0\.0%"), re.compile(r"\binf\b", re.I))


def browser_home() -> Path:
    """Where Chromium and puppeteer-core live: $TCOSIM_BROWSER_HOME, else the user's cache."""
    env = os.environ.get("TCOSIM_BROWSER_HOME")
    base = Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tcosim-browser"
    if not (base / "node_modules" / "@sparticuz" / "chromium").is_dir():
        base.mkdir(parents=True, exist_ok=True)
        print(f"installing headless Chromium into {base} (first use)", flush=True)
        subprocess.run(["npm", "init", "-y"], cwd=base, check=True, capture_output=True)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", *PACKAGES], cwd=base, check=True)
    return base


def reports(experiments: list[Path], folder: Path, paths: int) -> list[Path]:
    import sim

    pages = []
    for path in experiments:
        study = sim.run(sim.load_experiment(path), paths=paths, seed=1)
        study.run_scenarios()  # as tcosim run does
        out = study.write_report(folder / path.stem)
        pages.append(out / "report.html")
    return pages


def problems(page: dict) -> list[str]:
    """What is wrong with one page as the browser saw it."""
    found = [f"console/page error: {e}" for e in page["errors"]]
    broken = [i["alt"] for i in page["images"] if not i["ok"]]
    found += [f"image does not decode: {alt}" for alt in broken]
    charts = list((Path(page["file"]).parent / "charts").glob("*.png"))
    if len(page["images"]) != len(charts):
        found.append(f"{len(page['images'])} images on the page for {len(charts)} charts in charts/")
    found += [f"image narrower than 300 px on screen: {i['alt']}"
              for i in page["images"] if i["ok"] and i["shown"] < 300]
    if page["external"]:
        found.append(f"{page['external']} links to the network (the report must be self-contained)")
    if page["width"] > VIEWPORT:
        found.append(f"page is {page['width']} px wide in a {VIEWPORT} px window (scrolls sideways)")
    for pattern in FORBIDDEN:
        for match in pattern.finditer(page["text"]):
            context = page["text"][max(0, match.start() - 40): match.end() + 20].replace("\n", " ")
            found.append(f"shows {match.group(0)!r}: …{context}…")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.browser", description=__doc__.splitlines()[0])
    parser.add_argument("experiments", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "browser-check",
                        help="folder for the screenshots")
    parser.add_argument("--paths", type=int, default=300)
    args = parser.parse_args(argv)
    if not (shutil.which("node") and shutil.which("npm")):
        print("node/npm not found: cannot open the report in a browser", file=sys.stderr)
        return 1
    experiments = args.experiments or sorted((ROOT / "experiments").glob("*.toml"))
    home = browser_home()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tcosim-browser-") as tmp:
        pages = reports(experiments, Path(tmp), args.paths)
        done = subprocess.run(["node", str(Path(__file__).with_name("check.mjs")), str(home), str(args.out.resolve()),
                               *map(str, pages)], capture_output=True, text=True, env={**os.environ, "NODE_PATH":
                               str(home / "node_modules")})
        if done.returncode != 0:
            print(done.stdout + done.stderr, file=sys.stderr)
            return 1
        failed = 0
        for line in done.stdout.splitlines():
            page = json.loads(line)
            found = problems(page)
            name = Path(page["file"]).parent.name
            failed += bool(found)
            print(f"{'FAIL' if found else 'ok  '} {name}: {len(page['images'])} images, {page['tables']} tables, "
                  f"width {page['width']} px; screenshot {page['screenshot']}")
            for problem in found:
                print(f"     {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
