"""Never store the same bytes twice: revisits, conditional GETs and CDXJ, on real recrawls.

An unchanged fixture portal is crawled twice into one data directory with
``dna crawl``, once with conditional GETs off (every payload comes again and
becomes an identical-payload-digest revisit) and once with them on (most
answers are 304s, recorded as server-not-modified revisits).
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import iso_date_to_timestamp

from archive.cdxj import cdxj_path, read_cdxj
from archive.models import ArticleVersion, Capture, Crawl
from archive.store import Store
from archive.warcreader import RevisitRef, read_payload, read_response
from archive.warcwriter import (
    IDENTICAL_PAYLOAD_DIGEST,
    SERVER_NOT_MODIFIED,
    HttpRequestData,
    HttpResponseData,
    WarcFileWriter,
)
from crawler.spelling import case_flipped
from sampleportal import PortalServer
from tests.harness import run_dna, sites_toml


@dataclass(frozen=True)
class Record:
    """The headers of one WARC record that these tests look at."""

    path: Path
    offset: int
    type: str
    record_id: str
    uri: str
    date: str
    digest: str | None
    profile: str | None
    refers_to: str | None
    refers_to_uri: str | None
    refers_to_date: str | None
    concurrent_to: str | None
    http: StatusAndHeaders | None


def records(path: Path) -> list[Record]:
    found = []
    with open(path, "rb") as handle:
        iterator = ArchiveIterator(handle)
        for record in iterator:
            get = record.rec_headers.get_header
            found.append(
                Record(
                    path,
                    iterator.get_record_offset(),
                    record.rec_type,
                    get("WARC-Record-ID"),
                    get("WARC-Target-URI"),
                    get("WARC-Date"),
                    get("WARC-Payload-Digest"),
                    get("WARC-Profile"),
                    get("WARC-Refers-To"),
                    get("WARC-Refers-To-Target-URI"),
                    get("WARC-Refers-To-Date"),
                    get("WARC-Concurrent-To"),
                    record.http_headers,
                )
            )
    return found


@dataclass
class Recrawl:
    """Two crawls of one unchanged portal into one data directory."""

    data: Path
    first: list[Path]
    second: list[Path]
    versions_after_first: int

    def store(self) -> Store:
        return Store(f"sqlite:///{self.data / 'archive.sqlite3'}")

    def records(self, files: list[Path]) -> list[Record]:
        return [record for path in files for record in records(path)]

    @property
    def all_records(self) -> dict[str, Record]:
        return {r.record_id: r for r in self.records(self.first + self.second)}

    def bytes_of(self, files: list[Path]) -> int:
        return sum(path.stat().st_size for path in files)


def start_of_a_minute(needed: float = 25) -> None:
    """Wait, if need be, until ``needed`` seconds of this minute remain.

    The portals print the time (to the minute) in every page's header, so a
    page is byte-identical only within one minute; two small crawls fit.
    """
    second = datetime.now().second
    if second > 60 - needed:
        time.sleep(60 - second)


def crawl_twice(portal: PortalServer, data: Path, options: str = "") -> Recrawl:
    start_of_a_minute()
    toml = sites_toml({"vnportal": portal}).replace("[crawler]\n", f"[crawler]\n{options}", 1)
    (data / "sites.toml").write_text(toml, encoding="utf-8")
    warcs = data / "warc" / "vnportal"
    crawls: list[list[Path]] = []
    versions = 0
    for _ in range(2):
        before = set(warcs.glob("*.warc.gz"))
        result = run_dna("crawl", "vnportal", "--mode", "full", data=data)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        crawls.append(sorted(set(warcs.glob("*.warc.gz")) - before))
        if not versions:
            store = Store(f"sqlite:///{data / 'archive.sqlite3'}")
            versions = store.counts()["article_versions"]
            store.close()
    return Recrawl(data, crawls[0], crawls[1], versions)


@pytest.fixture(scope="module")
def dedup(portals: dict[str, PortalServer], tmp_path_factory: pytest.TempPathFactory) -> Recrawl:
    """Conditional GETs off: the second crawl downloads every payload again."""
    return crawl_twice(
        portals["vnportal"], tmp_path_factory.mktemp("dedup"), "conditional_get = false\n"
    )


@pytest.fixture(scope="module")
def not_modified(
    portals: dict[str, PortalServer], tmp_path_factory: pytest.TempPathFactory
) -> Recrawl:
    """Conditional GETs on (the default): the second crawl mostly hears 304."""
    return crawl_twice(portals["vnportal"], tmp_path_factory.mktemp("not-modified"))


def test_identical_payloads_become_revisits_of_originals(dedup: Recrawl) -> None:
    known = dedup.all_records
    revisits = [r for r in dedup.records(dedup.second) if r.type == "revisit"]
    # Images, robots.txt and (within the same minute) pages come back byte for byte.
    assert len(revisits) >= 10
    for revisit in revisits:
        assert revisit.profile == IDENTICAL_PAYLOAD_DIGEST
        original = known[revisit.refers_to]
        assert original.type == "response"  # never a revisit of a revisit
        assert (revisit.refers_to_uri, revisit.refers_to_date) == (original.uri, original.date)
        assert revisit.digest == original.digest
        assert revisit.http.get_statuscode() == "200"


def test_no_payload_is_stored_twice(dedup: Recrawl) -> None:
    responses = [
        r
        for r in dedup.records(dedup.first + dedup.second)
        if r.type == "response" and r.http.get_statuscode().startswith("2")
    ]
    digests = [r.digest for r in responses if r.http.get_header("Content-Length") != "0"]
    assert len(digests) == len(set(digests))


def test_every_exchange_keeps_its_request_and_metadata(dedup: Recrawl) -> None:
    second = dedup.records(dedup.second)
    answers = {r.record_id for r in second if r.type in ("response", "revisit")}
    for kind in ("request", "metadata"):
        assert {r.concurrent_to for r in second if r.type == kind} == answers


def test_recrawled_warcs_pass_warcio_check(dedup: Recrawl, not_modified: Recrawl) -> None:
    files = [*dedup.first, *dedup.second, *not_modified.first, *not_modified.second]
    result = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.parametrize("which", ["dedup", "not_modified"])
def test_recrawl_adds_no_article_versions(which: str, request: pytest.FixtureRequest) -> None:
    recrawl: Recrawl = request.getfixturevalue(which)
    store = recrawl.store()
    with store.session() as session:
        first, second = session.scalars(select(Crawl).order_by(Crawl.id)).all()
        versions = session.scalar(select(func.count(ArticleVersion.id)))
    store.close()
    assert first.articles_new > 10
    assert (second.articles_new, second.articles_updated) == (0, 0)
    assert versions == recrawl.versions_after_first
    assert second.pages == first.pages  # discovery is intact


@pytest.mark.parametrize("which", ["dedup", "not_modified"])
def test_revisit_captures_resolve_to_the_original_payload(
    which: str, request: pytest.FixtureRequest
) -> None:
    recrawl: Recrawl = request.getfixturevalue(which)
    store = recrawl.store()
    with store.session() as session:
        revisits = session.scalars(select(Capture).where(Capture.refers_to.is_not(None))).all()
    warcs = recrawl.data / "warc" / "vnportal"

    def by_record_id(ref: RevisitRef) -> tuple[Path, int] | None:
        """A locate function of one's own (restore, verify): here, the database."""
        found = store.capture(ref.record_id or "")
        return (warcs / found.warc_file, found.warc_offset) if found else None

    assert revisits
    for capture in revisits:
        original = store.capture(capture.refers_to)
        assert original is not None and original.refers_to is None
        assert capture.payload_digest == original.payload_digest
        expected = read_payload(warcs / original.warc_file, original.warc_offset)
        resolved = read_response(warcs / capture.warc_file, capture.warc_offset)
        assert resolved.record_type == "revisit" and resolved.revisit is not None
        assert resolved.revisit.record_id == original.record_id
        assert resolved.payload == expected
        assert read_payload(warcs / capture.warc_file, capture.warc_offset, by_record_id) == (
            expected
        )
    store.close()


def test_not_modified_answers_are_revisits_and_pages_are_still_followed(
    not_modified: Recrawl,
) -> None:
    known = not_modified.all_records
    second = not_modified.records(not_modified.second)
    revisits = [r for r in second if r.type == "revisit"]
    requests = {r.concurrent_to: r for r in second if r.type == "request"}
    not_modified_revisits = [r for r in revisits if r.profile == SERVER_NOT_MODIFIED]
    assert len(not_modified_revisits) >= 20  # articles, images, robots.txt, listings
    for revisit in not_modified_revisits:
        assert revisit.http.get_statuscode() == "304"
        original = known[revisit.refers_to]
        assert original.type == "response"
        assert original.http.get_statuscode() == "200"
        assert (revisit.refers_to_uri, revisit.refers_to_date) == (original.uri, original.date)
        asked = requests[revisit.record_id].http
        assert asked.get_header("If-None-Match") or asked.get_header("If-Modified-Since")
    # The spider got the archived pages and followed them: the same URLs were
    # visited, but for the one page each crawl fetches case-flipped to learn
    # whether the server ignores case (the first that answers, by chance).
    first_uris = {r.uri for r in not_modified.records(not_modified.first) if r.type == "request"}
    second_uris = {r.uri for r in second if r.type == "request"}
    visited = first_uris | second_uris
    probes = {uri for uri in visited if case_flipped(uri) in visited and uri != uri.lower()}
    assert len(probes & first_uris) == len(probes & second_uris) == 1
    assert second_uris - probes == first_uris - probes


def test_bytes_saved_on_an_unchanged_portal(dedup: Recrawl, not_modified: Recrawl) -> None:
    for name, recrawl in (("digest dedup", dedup), ("conditional GET", not_modified)):
        first, second = recrawl.bytes_of(recrawl.first), recrawl.bytes_of(recrawl.second)
        saved = first - second
        share = saved / first
        print(f"{name}: crawl 1 {first} B, crawl 2 {second} B, saved {saved} B ({share:.0%})")
        assert second < first * 0.7


def test_cdxj_beside_each_warc_points_at_its_records(not_modified: Recrawl) -> None:
    for path in not_modified.first + not_modified.second:
        index = cdxj_path(path)
        lines = index.read_text(encoding="utf-8").splitlines()
        assert lines == sorted(lines)
        by_offset = {r.offset: r for r in records(path)}
        indexed = list(read_cdxj(index))
        assert len(indexed) == sum(r.type in ("response", "revisit") for r in by_offset.values())
        for line in indexed:
            record = by_offset[int(line.fields["offset"])]
            assert line.fields["filename"] == path.name
            assert line.fields["url"] == record.uri
            assert line.timestamp == iso_date_to_timestamp(record.date)
            assert (line.fields["mime"] == "warc/revisit") == (record.type == "revisit")
            assert line.fields["digest"] == record.digest


def test_a_revisit_must_point_at_an_original_with_its_payload(tmp_path: Path) -> None:
    request = HttpRequestData("GET", "http://example.org/a.jpg", [])
    response = HttpResponseData(200, [("Content-Type", "image/jpeg")], b"\xff\xd8 jpeg")
    with WarcFileWriter(tmp_path, "t") as writer:
        now = datetime.now(UTC)
        original = writer.write_exchange(request, response, now)
        revisit = writer.write_revisit(request, response, now, original)
        assert revisit.refers_to == original.record_id
        with pytest.raises(ValueError, match="refer to its original"):
            writer.write_revisit(request, response, now, revisit)
        changed = HttpResponseData(200, [], b"other bytes")
        with pytest.raises(ValueError, match="payload differs"):
            writer.write_revisit(request, changed, now, original)
    [path] = tmp_path.glob("*.warc.gz")
    assert read_payload(path, revisit.warc_offset) == response.body
    assert len(cdxj_path(path).read_text(encoding="utf-8").splitlines()) == 2
