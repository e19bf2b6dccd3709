"""Writing WACZ packages with ``dna wacz`` and checking each one, independently of dna.

Every package a test writes goes through :func:`write_wacz`, which checks it
twice: here, every member's sha256 and size against ``datapackage.json`` and
that file against ``datapackage-digest.json``; and with the ``wacz`` package's
own validator (``wacz validate``), installed in ``.venv-wacz`` by ``make
wacz-validator`` because its pins are not ours.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import zipfile
from pathlib import Path

from tests.harness import run_dna

WACZ_BIN = Path(__file__).resolve().parents[1] / ".venv-wacz" / "bin" / "wacz"
NO_VALIDATOR = f"the wacz validator is not installed in {WACZ_BIN.parents[1]} (make wacz-validator)"
RESOURCE_NAME = re.compile(r"^[-a-z0-9._/]+$")


def write_wacz(data: Path, output: Path, *args: str) -> Path:
    """``dna wacz ARGS -o OUTPUT`` on ``data``; the package, checked."""
    result = run_dna("wacz", *args, "-o", str(output), data=data)
    assert result.returncode == 0, result.stderr
    check_package(output)
    return output


def check_package(path: Path) -> dict:
    """Check every hash and size, the names and the storage; run the validator if present."""
    with zipfile.ZipFile(path) as archive:
        package_bytes = archive.read("datapackage.json")
        digest = json.loads(archive.read("datapackage-digest.json"))
        assert digest["path"] == "datapackage.json"
        assert digest["hash"] == "sha256:" + hashlib.sha256(package_bytes).hexdigest()
        package = json.loads(package_bytes)
        assert package["wacz_version"] == "1.1.1"
        listed = {resource["path"]: resource for resource in package["resources"]}
        members = {
            info.filename: info
            for info in archive.infolist()
            if info.filename not in ("datapackage.json", "datapackage-digest.json")
        }
        assert listed.keys() == members.keys()
        for name, resource in listed.items():
            assert RESOURCE_NAME.match(resource["name"]), resource["name"]
            sha256, size = hashlib.sha256(), 0
            with archive.open(name) as member:
                while chunk := member.read(1 << 20):
                    sha256.update(chunk)
                    size += len(chunk)
            assert resource["hash"] == "sha256:" + sha256.hexdigest(), name
            assert resource["bytes"] == size, name
            if name.startswith("archive/"):
                assert members[name].compress_type == zipfile.ZIP_STORED, name
        for required in ("indexes/index.cdx", "pages/pages.jsonl"):
            assert required in listed
    if WACZ_BIN.exists():
        checked = subprocess.run(
            [str(WACZ_BIN), "validate", "-f", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "the passed WACZ is valid" in checked.stdout
    return package
