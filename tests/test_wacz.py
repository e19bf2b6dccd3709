"""``dna wacz``: the archive as one WACZ package, read back by ``dna restore``, damage and all.

Packages are made from the session ``harvest`` (a real crawl of the five
fixture portals) and checked by :func:`tests.waczpackages.write_wacz`: every
sha256 recomputed here, and the ``wacz`` package's validator when installed.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path

import pytest

from archive.records import VIETNAM_TZ
from archive.store import Store
from crawler.sites import load_sites
from tests.harness import Harvest, run_dna
from tests.waczpackages import NO_VALIDATOR, WACZ_BIN, write_wacz

TWO_SITES = ("vnportal", "liferay")


@pytest.fixture(scope="module")
def package_all(harvest: Harvest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_wacz(harvest.data, tmp_path_factory.mktemp("wacz") / "all.wacz", "--all")


@pytest.fixture(scope="module")
def package_two(harvest: Harvest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_wacz(harvest.data, tmp_path_factory.mktemp("wacz") / "two.wacz", *TWO_SITES)


def export(data: Path, *options: str) -> dict[str, dict]:
    result = run_dna("export", *options, data=data)
    assert result.returncode == 0, result.stderr
    return {row["url"]: {**row, "id": None} for row in map(json.loads, result.stdout.splitlines())}


def restore(data: Path, *paths: Path) -> subprocess.CompletedProcess:
    result = run_dna("restore", *map(str, paths), "--workers", "1", data=data)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def fresh_data(harvest: Harvest, tmp_path: Path) -> Path:
    data = tmp_path / "restored"
    data.mkdir()
    shutil.copy(harvest.data / "sites.toml", data / "sites.toml")
    return data


def rewritten(source: Path, target: Path, *, drop: str = "", change: str = "") -> Path:
    """A copy of package ``source`` without member ``drop``, or with ``change`` altered."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename == drop:
                continue
            content = old.read(info)
            if info.filename == change:
                content = content.replace(b'"profile"', b'"profile" ', 1)
            new.writestr(info, content)
    return target


def test_package_holds_the_archive_files_unchanged_with_their_names(
    harvest: Harvest, package_all: Path
) -> None:
    with zipfile.ZipFile(package_all) as archive:
        package = json.loads(archive.read("datapackage.json"))
        warcs = {r["path"]: r for r in package["resources"] if r["path"].startswith("archive/")}
        originals = {path.name: path for path in harvest.warc_files}
        assert sorted(r["dna_warc_file"] for r in warcs.values()) == sorted(originals)
        assert any("~" in name for name in originals)
        for member, resource in warcs.items():
            assert "~" not in member
            assert archive.read(member) == originals[resource["dna_warc_file"]].read_bytes()
        index = archive.read("indexes/index.cdx").decode().splitlines()
        pages = [json.loads(line) for line in archive.read("pages/pages.jsonl").splitlines()]
    assert index == sorted(index)
    assert {json.loads(line.split(" ", 2)[2])["filename"] for line in index} == {
        member.removeprefix("archive/") for member in warcs
    }
    assert pages[0]["format"] == "json-pages-1.0"
    store = harvest.store()
    articles = {a.capture_url: a for a in store.articles()}
    store.close()
    assert {page["url"] for page in pages[1:]} == articles.keys()
    for page in pages[1:]:
        article = articles[page["url"]]
        assert page["title"] == article.title
        assert article.body in page["text"]
        stamp = datetime.strptime(page["ts"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert abs(stamp - article.fetched_at) < timedelta(seconds=1)


@pytest.mark.skipif(not WACZ_BIN.exists(), reason=NO_VALIDATOR)
def test_the_wacz_validator_accepts_our_packages(package_all: Path, package_two: Path) -> None:
    for package in (package_all, package_two):
        checked = subprocess.run(
            [str(WACZ_BIN), "validate", "-f", str(package)], capture_output=True, text=True
        )
        assert "the passed WACZ is valid" in checked.stdout, checked.stdout


def test_a_package_restored_elsewhere_knows_where_its_sites_sit(
    harvest: Harvest, package_two: Path, tmp_path: Path
) -> None:
    """Handed to a library with no sites.toml, a package's sites came back
    with no place: --place and --province found 12 articles of 66, or none,
    and said "No hits"."""
    with zipfile.ZipFile(package_two) as archive:
        facts = json.loads(archive.read("datapackage.json"))["dna_sites"]
    original = load_sites(harvest.data / "sites.toml")
    for site in TWO_SITES:
        config = original.get(site)
        assert config is not None and config.province
        assert facts[site]["province"] == config.province
    library = tmp_path / "library"
    library.mkdir()

    restored_now = restore(library, package_two)
    assert restored_now.returncode == 0
    # Nor does the summary say the place was not rebuilt.
    note = next(line for line in restored_now.stdout.splitlines() if line.startswith("Note:"))
    assert "place" not in note and "schedule" in note, note

    restored = load_sites(library / "sites.toml")
    for site in TWO_SITES:
        config, again = original.get(site), restored.get(site)
        assert again is not None and config is not None
        assert (again.province, again.district, again.commune) == (
            config.province, config.district, config.commune,
        )  # fmt: skip
        # Searched by its province, the site is found at once, not after a
        # `dna sites refresh-places` nobody knew to run.
        hits = {
            data: run_dna("search", "xã", "--site", site, "--province", config.province,
                          "--json", "--limit", "100", data=data).stdout.count("\n")
            for data in (harvest.data, library)
        }  # fmt: skip
        assert hits[library] == hits[harvest.data] > 0


def test_a_package_says_what_it_could_not_hold(harvest: Harvest, tmp_path: Path) -> None:
    """A WARC file deleted from the archive left 12 of 80 pages out of the
    package, with no word; a killed crawl's .open file was said to be 'still
    being written', though no crawl was running."""
    data = tmp_path / "data"
    shutil.copytree(harvest.data, data)
    first, second = (next((data / "warc" / site).glob("*.warc.gz")) for site in TWO_SITES)
    first.rename(first.with_name(first.name + ".open"))
    second.unlink()

    result = run_dna("wacz", "--all", "-o", str(tmp_path / "x.wacz"), data=data)

    assert result.returncode == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert f"left open by a crawl that was killed: {first}.open" in said
    assert f"`dna crawl {TWO_SITES[0]} --resume` closes it" in said
    assert "1 WARC file(s) the archive's captures point at are missing" in said
    assert second.name in said and "run `dna verify`" in said


def test_a_place_no_gazetteer_knows_still_adds_the_site(
    harvest: Harvest, package_two: Path, tmp_path: Path
) -> None:
    """A stranger's package may name a place that does not exist: the site
    is added without it, and the restore says so."""
    forged = tmp_path / "forged.wacz"
    with zipfile.ZipFile(package_two) as old, zipfile.ZipFile(forged, "w") as new:
        for info in old.infolist():
            content = old.read(info)
            if info.filename == "datapackage.json":
                package = json.loads(content)
                for facts in package["dna_sites"].values():
                    facts["province"] = "Tỉnh Không Có"
                content = json.dumps(package).encode()
                hashed = "sha256:" + sha256(content).hexdigest()
                digest = {"path": "datapackage.json", "hash": hashed}
            if info.filename != "datapackage-digest.json":
                new.writestr(info, content)
        new.writestr("datapackage-digest.json", json.dumps(digest))
    library = tmp_path / "library"
    library.mkdir()

    result = restore(library, forged)

    assert result.returncode == 0, result.stderr
    assert "place not kept" in result.stderr
    assert all(load_sites(library / "sites.toml").get(site) for site in TWO_SITES)


PROBLEM = re.compile(r"^(?:Skipped|Note): (?P<file>.+?):(?P<offset>\d+): (?P<message>.*)$")


def reported(result: subprocess.CompletedProcess) -> list[tuple[str, str, str]]:
    """Each problem restore reported, as (file, offset, message)."""
    found = map(PROBLEM.match, result.stderr.splitlines())
    return [(match["file"], match["offset"], match["message"]) for match in found if match]


def test_restore_of_the_package_gives_the_sites_own_export(
    harvest: Harvest, package_all: Path, tmp_path: Path
) -> None:
    data = fresh_data(harvest, tmp_path)
    (tmp_path / "direct").mkdir()
    direct = restore(fresh_data(harvest, tmp_path / "direct"), *harvest.warc_files)

    result = restore(data, package_all)

    assert result.returncode == 0, result.stderr
    # What restore says of the package is what it says of the archive's own
    # files (the fixture portals serve one page too big to read), each named
    # by its member of the package, never by a temporary copy.
    assert [(offset, message) for _, offset, message in reported(result)] == [
        (offset, message) for _, offset, message in reported(direct)
    ]
    assert reported(result)
    assert all(name.startswith(f"{package_all}!/archive/") for name, _, _ in reported(result))
    assert export(data) == export(harvest.data)
    held = sorted(path.relative_to(data) for path in (data / "warc").glob("*/*.warc.gz"))
    assert held == sorted(path.relative_to(harvest.data) for path in harvest.warc_files)
    assert [path.name for path in data.iterdir() if path.name.startswith("wacz-")] == []


def test_dates_choose_the_files_and_an_empty_choice_is_an_error(
    harvest: Harvest, tmp_path: Path
) -> None:
    # Days are Vietnam's, as everywhere: between 17:00 and 24:00 UTC the
    # captures of "today" in UTC were made "tomorrow" there, and left out.
    today = datetime.now(VIETNAM_TZ).date()
    dated = write_wacz(harvest.data, tmp_path / "today.wacz", "vnportal", "--since", str(today))
    with zipfile.ZipFile(dated) as archive:
        assert any(name.startswith("archive/vnportal-") for name in archive.namelist())

    tomorrow = str(today + timedelta(days=1))
    result = run_dna(
        "wacz", "vnportal", "--since", tomorrow, "-o", str(tmp_path / "x.wacz"), data=harvest.data
    )

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "no WARC file of vnportal" in result.stderr
    assert not (tmp_path / "x.wacz").exists()

    # --since after --until chooses nothing because it is a mistake: said as one.
    result = run_dna(
        "wacz", "vnportal", "--since", "2025-01-01", "--until", "2024-01-01",
        "-o", str(tmp_path / "x.wacz"), data=harvest.data,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--since 2025-01-01 is after --until 2024-01-01" in result.stderr
    result = run_dna("wacz", "vnportal", "--since", "2023-02-30", "-o", "x.wacz", data=harvest.data)
    assert result.returncode == 2 and "no such date '2023-02-30'" in result.stderr


def test_sites_without_captures_are_one_line_errors(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    store = Store(f"sqlite:///{data / 'archive.sqlite3'}")
    store.site_id("xa-moi", title="Xã mới", family="generic")
    store.close()
    output = str(tmp_path / "out.wacz")
    (data / "sites.toml").write_text('[[site]]\nname = "xa-toml"\nstart_urls = ["http://a.vn/"]\n')
    for args, status, message in (
        (("xa-moi",), 1, "site 'xa-moi' has no captures yet"),
        (("xa-toml",), 1, "site 'xa-toml' has no captures yet: crawl it first"),
        # Unknown, as to every command: the sites known are named.
        (("xa-khac",), 2, "unknown site 'xa-khac'; known: xa-moi, xa-toml"),
        (("--all",), 1, "the archive has no captures yet"),
    ):
        result = run_dna("wacz", *args, "-o", output, data=data)
        assert result.returncode == status, args
        assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert run_dna("wacz", "-o", output, data=data).returncode == 2
    assert run_dna("wacz", "xa-moi", "--all", "-o", output, data=data).returncode == 2
    assert not Path(output).exists()


def test_a_cut_package_restores_its_whole_members(
    harvest: Harvest, package_two: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(package_two) as archive:
        second = [i for i in archive.infolist() if i.filename.startswith("archive/")][1]
        cut_at = second.header_offset + len(second.FileHeader()) + second.file_size // 2
    cut = tmp_path / "cut.wacz"
    cut.write_bytes(package_two.read_bytes()[:cut_at])
    data = fresh_data(harvest, tmp_path)

    result = restore(data, cut)

    assert result.returncode == 0, result.stderr
    assert "not a whole ZIP" in result.stderr
    assert "cut short" in result.stderr
    first_site = second.filename.removeprefix("archive/").split("-")[0]
    whole = "liferay" if first_site == "vnportal" else "vnportal"
    # datapackage.json was at the cut end: the names come from the warcinfo records.
    assert export(data, "--site", whole) == export(harvest.data, "--site", whole)


def test_a_member_whose_directory_entry_is_damaged_is_found_by_its_own_header(
    harvest: Harvest, package_two: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(package_two) as archive:
        second = [i for i in archive.infolist() if i.filename.startswith("archive/")][1]
    content = bytearray(package_two.read_bytes())
    entry = content.rindex(second.filename.encode()) - 46  # its central directory header
    assert content[entry : entry + 4] == b"PK\x01\x02"
    content[entry + 10 : entry + 12] = (99).to_bytes(2, "little")  # an unknown method
    damaged = tmp_path / "damaged.wacz"
    damaged.write_bytes(content)
    data = fresh_data(harvest, tmp_path)

    result = restore(data, damaged)

    assert result.returncode == 0, result.stderr
    assert "entry in the ZIP directory is damaged" in result.stderr
    assert "not match" not in result.stderr
    for site in TWO_SITES:
        assert export(data, "--site", site) == export(harvest.data, "--site", site)


def test_a_byte_rotted_in_a_member_loses_one_record_not_the_file(
    harvest: Harvest, package_two: Path, tmp_path: Path
) -> None:
    """One byte flipped inside a stored WARC member, the ZIP's CRC-32 left as
    it was (what storage rot does): zipfile kept back the chunk whose check
    failed, the whole of a WARC under 1 MB.  Its articles were lost, nothing
    was kept aside, and `dna verify` passed."""
    with zipfile.ZipFile(package_two) as archive:
        first = next(i for i in archive.infolist() if i.filename.startswith("archive/"))
    content = bytearray(package_two.read_bytes())
    start = first.header_offset + len(first.FileHeader())
    content[start + first.file_size // 2] ^= 0xFF
    rotted = tmp_path / "rotted.wacz"
    rotted.write_bytes(content)
    data = fresh_data(harvest, tmp_path)

    result = restore(data, rotted)

    assert result.returncode == 0, result.stderr
    assert "is damaged (Bad CRC-32" in result.stderr
    assert "binary data, not a WARC header" in result.stderr
    site = first.filename.removeprefix("archive/").split("-")[0]
    restored, archived = export(data, "--site", site), export(harvest.data, "--site", site)
    assert len(restored) >= len(archived) - 1
    assert list((data / "warc-damaged" / site).glob("*.warc.gz"))
    verified = run_dna("verify", data=data)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Known damage, kept aside" in verified.stdout


def test_members_named_alike_in_other_folders_are_both_restored(
    harvest: Harvest, package_two: Path, tmp_path: Path
) -> None:
    renamed = tmp_path / "alike.wacz"
    with zipfile.ZipFile(package_two) as old, zipfile.ZipFile(renamed, "w") as new:
        warcs = [i for i in old.infolist() if i.filename.startswith("archive/")]
        for number, info in enumerate(warcs):
            new.writestr(f"archive/{number}/data.warc.gz", old.read(info))
    data = fresh_data(harvest, tmp_path)

    result = restore(data, renamed)

    assert result.returncode == 0, result.stderr
    files = set()
    for site in TWO_SITES:
        restored, crawled = export(data, "--site", site), export(harvest.data, "--site", site)
        files |= {row.pop("warc_file") for row in restored.values()}
        for row in crawled.values():
            row.pop("warc_file")
        assert restored == crawled
    # With no datapackage.json to name them, each keeps a name of its own.
    assert files == {"data.warc.gz", "2-data.warc.gz"}


def test_a_package_with_an_altered_datapackage_is_reported_and_restored(
    harvest: Harvest, package_two: Path, tmp_path: Path
) -> None:
    altered = rewritten(package_two, tmp_path / "altered.wacz", change="datapackage.json")
    data = fresh_data(harvest, tmp_path)

    result = restore(data, altered)

    assert result.returncode == 0, result.stderr
    assert "does not match the digest" in result.stderr
    for site in TWO_SITES:
        assert export(data, "--site", site) == export(harvest.data, "--site", site)
    assert run_dna("restore", str(altered), "--strict", data=data).returncode == 1


def test_a_package_missing_a_warc_restores_the_others(
    harvest: Harvest, package_two: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(package_two) as archive:
        lost = next(n for n in archive.namelist() if n.startswith("archive/vnportal-"))
    missing = rewritten(package_two, tmp_path / "missing.wacz", drop=lost)
    data = fresh_data(harvest, tmp_path)

    result = restore(data, missing)

    assert result.returncode == 0, result.stderr
    assert f"{lost} is listed in datapackage.json but missing" in result.stderr
    assert export(data, "--site", "liferay") == export(harvest.data, "--site", "liferay")
    assert export(data, "--site", "vnportal") == {}


@pytest.mark.skipif(not WACZ_BIN.exists(), reason=NO_VALIDATOR)
def test_a_package_made_by_the_wacz_tool_restores_the_same_articles(
    harvest: Harvest, tmp_path: Path
) -> None:
    warcs = [str(path) for path in harvest.warc_files if path.name.startswith("liferay-")]
    foreign = tmp_path / "foreign.wacz"
    subprocess.run(
        [str(WACZ_BIN), "create", "-o", str(foreign), *warcs], check=True, capture_output=True
    )
    data = fresh_data(harvest, tmp_path)

    result = restore(data, foreign)

    assert result.returncode == 0, result.stderr
    assert export(data, "--site", "liferay") == export(harvest.data, "--site", "liferay")


def test_replay_on_a_port_in_use_is_a_one_line_error(harvest: Harvest) -> None:
    before = sorted(harvest.data.iterdir())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # The port is checked before anything is built in the data directory.
        result = run_dna("replay", "--port", str(port), data=harvest.data)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr
    assert sorted(harvest.data.iterdir()) == before


def test_a_symlink_planted_beside_the_package_is_not_written_through(
    harvest: Harvest, tmp_path: Path
) -> None:
    """dna wacz wrote FILE.part, a fixed name: a symlink planted there had its
    target overwritten with the package (as dna export's -o did)."""
    victim = tmp_path / "victim"
    victim.write_text("not yours\n", encoding="utf-8")
    output = tmp_path / "site.wacz"
    (tmp_path / "site.wacz.part").symlink_to(victim)
    result = run_dna("wacz", "vnportal", "-o", str(output), data=harvest.data)
    assert result.returncode == 0, result.stderr
    assert victim.read_text(encoding="utf-8") == "not yours\n"
    assert zipfile.is_zipfile(output)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_a_full_disk_is_a_one_line_error(harvest: Harvest, tmp_path: Path) -> None:
    """Every write to /dev/full fails as a full disk's does: said on one line, no traceback."""
    output = tmp_path / "full.wacz"
    output.symlink_to("/dev/full")  # a device is written into, not renamed over
    result = run_dna("wacz", "--all", "-o", str(output), data=harvest.data)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"cannot write {output}: No space left on device" in result.stderr
