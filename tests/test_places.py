"""Places: the gazetteer, mentions in article text, sites that know where they are.

The end-to-end tests read a real crawl of the fixture portals (``harvest``),
whose sites.toml names each portal's province, district and commune.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.archived import SitePlace
from archive.records import VIETNAM_TZ
from crawler.sites import load_sites
from dna.cli import main
from places.gazetteer import PlaceError, gazetteer
from places.mentions import MentionFinder
from places.overview import portals_per_district
from sampleportal.corpus import load_articles
from tests.harness import Harvest, run_dna

#: Mention finding on the fixture portals' articles must stay at least this good.
MIN_PRECISION = 0.95
MIN_RECALL = 0.95

THANH_LIEN = "oc17743"
THANH_CHUONG = "od428"


@pytest.fixture(scope="module")
def places():
    return gazetteer()


def codes(places, text: str, site: str | None = None, published: datetime | None = None):
    mentions = MentionFinder(places, site).find(text, published)
    return {m.unit for m in mentions if m.unit}, [m for m in mentions if not m.unit]


# -- gazetteer -----------------------------------------------------------------


def test_gazetteer_holds_both_maps(places) -> None:
    counted: dict[tuple[str, str], int] = {}
    for unit in places.units.values():
        counted[(unit.era, unit.level)] = counted.get((unit.era, unit.level), 0) + 1
    assert counted == {
        ("old", "province"): 63,
        ("old", "district"): 696,
        ("old", "commune"): 10_035,
        ("new", "province"): 34,
        ("new", "commune"): 3_321,
    }


def test_old_commune_maps_to_the_new_one_it_merged_into(places) -> None:
    (tam_dong,) = places.today(THANH_LIEN)
    assert places.label(tam_dong) == "xã Tam Đồng, tỉnh Nghệ An"
    merged = {places[code].name for code in places.predecessors[tam_dong]}
    assert merged == {"Thanh Liên", "Thanh Mỹ", "Thanh Tiên"}
    assert places.cover(THANH_LIEN) >= {THANH_CHUONG, "op40", tam_dong, "np40"}


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("Thanh Liên", "xã Thanh Liên, huyện Thanh Chương, tỉnh Nghệ An"),
        ("thanh lien", "xã Thanh Liên, huyện Thanh Chương, tỉnh Nghệ An"),
        ("xa Tam Dong, Nghe An", "xã Tam Đồng, tỉnh Nghệ An"),
        ("TP. Vinh", "thành phố Vinh, tỉnh Nghệ An"),
        ("Đại Đồng, Nghệ An", "xã Đại Đồng, tỉnh Nghệ An"),
        ("Đại Đồng, Nghệ An, cũ", "xã Đại Đồng, huyện Thanh Chương, tỉnh Nghệ An"),
    ],
)
def test_names_resolve_old_or_new_with_or_without_diacritics(places, name, label) -> None:
    assert places.label(places.pick(name).code) == label


@pytest.mark.parametrize(
    ("name", "label"),
    [
        # Names whose first syllable folds like a unit word (quận, tỉnh, xã…).
        ("Quan Sơn", "huyện Quan Sơn, tỉnh Thanh Hóa"),
        ("Quản Bạ, Hà Giang", "huyện Quản Bạ, tỉnh Hà Giang"),
        ("Tịnh Biên", "thị xã Tịnh Biên, tỉnh An Giang"),
        ("quan son", "huyện Quan Sơn, tỉnh Thanh Hóa"),
        ("Quận 1", "quận Quận 1, thành phố Hồ Chí Minh"),
        ("huyen Thanh Chuong", "huyện Thanh Chương, tỉnh Nghệ An"),
        # A city named as its province, told apart by its unit word.
        ("thành phố Hà Giang", "thành phố Hà Giang, tỉnh Hà Giang"),
        ("TP Thanh Hóa", "thành phố Thanh Hóa, tỉnh Thanh Hóa"),
        # Abbreviated unit words, and a city by its initials.
        ("T.P Vinh", "thành phố Vinh, tỉnh Nghệ An"),
        ("TX Hoàng Mai", "thị xã Hoàng Mai, tỉnh Nghệ An"),
        ("tp hcm", "thành phố Hồ Chí Minh"),
        # Pasted from a Mac (decomposed), and with the tone on the other vowel.
        (unicodedata.normalize("NFD", "huyện Thanh Chương"), "huyện Thanh Chương, tỉnh Nghệ An"),
    ],
)
def test_names_are_read_as_people_type_them(places, name, label) -> None:
    """Found by the places probe: 360 units (Quan Sơn, Tịnh Biên, Quận 1) were
    'no place called …', TP Hà Giang could not be told from its province,
    a name pasted from a Mac failed, and 'Thanh Hoá' listed 14 places.
    (Quan Sơn is also a commune: the name finds both, and asks which.)"""
    if name.startswith(("thành phố", "TP", "T.P", "TX", "tp", "Quận")):
        assert places.label(places.pick(name).code) == label
    assert label in {places.label(unit.code) for unit in places.resolve(name)}
    assert places.resolve("Thanh Hoá") == places.resolve("Thanh Hóa")
    assert places.resolve("Thuỷ Nguyên") == places.resolve("Thủy Nguyên") != []


def test_the_name_that_picks_an_old_province_picks_it_not_the_new_one(places) -> None:
    """'Search them: --place "tỉnh Tuyên Quang"' named today's province,
    Hà Giang included, for the old one."""
    old = next(u for u in places.named("Tuyên Quang", ("province",)) if u.era == "old")
    assert places.resolve(places.qualified(old.code)) == [old]


def test_a_shared_name_is_an_error_listing_names_that_pick_each_out(places) -> None:
    with pytest.raises(PlaceError) as raised:
        places.pick("Thanh Sơn")
    message = str(raised.value)
    assert "names 16 places" in message
    options = message.split("say which: ")[1].split(" and ")[0]
    for option in options.split("; "):
        assert len(places.resolve(option.strip('"'))) == 1, option
    with pytest.raises(PlaceError, match="no place called 'Atlantis'"):
        places.pick("Atlantis")


@pytest.mark.parametrize(
    ("host", "label"),
    [
        ("thanhchuong.nghean.gov.vn", "huyện Thanh Chương, tỉnh Nghệ An"),
        ("thanhlien.thanhchuong.nghean.gov.vn", "xã Thanh Liên, huyện Thanh Chương, tỉnh Nghệ An"),
        ("thanhlien.nghean.gov.vn", "xã Thanh Liên, huyện Thanh Chương, tỉnh Nghệ An"),
        ("namdan.nghean.gov.vn", "huyện Nam Đàn, tỉnh Nghệ An"),
        ("hatinh.gov.vn", "tỉnh Hà Tĩnh"),
        ("www.example.com", None),
    ],
)
def test_host_names_spell_the_portal_unit(places, host, label) -> None:
    unit = places.from_host(host)
    assert (places.label(unit.code) if unit else None) == label


# -- mentions ------------------------------------------------------------------


def test_same_named_communes_are_told_apart_by_what_follows_and_the_portal(places) -> None:
    hoa_binh = places.pick("Thanh Sơn, Lương Sơn").code
    thanh_chuong = places.pick("Thanh Sơn, Thanh Chương").code
    away = "Đoàn đi học tập tại xã Thanh Sơn, huyện Lương Sơn, tỉnh Hòa Bình."
    assert codes(places, away, site=THANH_LIEN) == ({hoa_binh, "od152", "op17"}, [])
    home = "Xã phối hợp với xã Thanh Sơn tổ chức tham quan mô hình."
    assert codes(places, home, site=THANH_LIEN) == ({thanh_chuong}, [])


def test_a_name_no_context_settles_is_ambiguous_not_guessed(places) -> None:
    found, unsettled = codes(places, "Đoàn công tác thăm xã Thanh Sơn.")
    assert not found
    (mention,) = unsettled
    assert mention.surface == "xã Thanh Sơn" and len(mention.candidates) > 5


def test_unknown_names_are_kept_as_unknown(places) -> None:
    found, unsettled = codes(places, "các xã Thanh Lĩnh, Thanh Tường", site=THANH_CHUONG)
    assert not found
    assert [(m.surface, m.candidates) for m in unsettled] == [("xã Thanh Lĩnh", ())]


@pytest.mark.parametrize(
    "text",
    [
        "Hợp tác xã Thanh Liên mở rộng sản xuất.",  # a cooperative
        "Thôn Thanh Liên đạt chuẩn khu dân cư kiểu mẫu.",  # a village
        "Học tập tư tưởng, đạo đức, phong cách Hồ Chí Minh.",  # a person
        "chính quyền địa phương 2 cấp; lực lượng ra quân 66 lần",  # phương, quân
        "Tỉnh Đoàn và Huyện ủy phát động phong trào.",  # organisations
    ],
)
def test_words_that_look_like_places_are_not(places, text: str) -> None:
    assert codes(places, text, site="oc18160") == (set(), [])


def test_bare_names_count_only_near_the_portal(places) -> None:
    text = "Thanh Liên: nhân dân hiến đất làm đường."
    assert codes(places, text, site=THANH_LIEN)[0] == {THANH_LIEN}
    assert codes(places, text, site="oc18160")[0] == set()


def test_era_follows_the_date_unless_written(places) -> None:
    after = datetime(2025, 8, 1, tzinfo=VIETNAM_TZ)
    before = datetime(2024, 8, 1, tzinfo=VIETNAM_TZ)
    assert codes(places, "tỉnh Nghệ An", THANH_LIEN, after)[0] == {"np40"}
    assert codes(places, "tỉnh Nghệ An", THANH_LIEN, before)[0] == {"op40"}
    new_dai_dong = places.pick("Đại Đồng, Nghệ An").code
    assert codes(places, "xã Đại Đồng mới", THANH_CHUONG, before)[0] == {new_dai_dong}


# -- sites.toml ----------------------------------------------------------------


def test_sites_toml_place_keys_are_checked_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "sites.toml"
    path.write_text(
        '[[site]]\nname = "a"\nstart_urls = ["https://a.vn/"]\n'
        'province = "Nghệ An"\ndistrict = "Thanh Chương"\ncommune = "Thanh Lien"\n'
        '\n[[site]]\nname = "b"\nstart_urls = ["https://b.vn/"]\n'
        'province = "Nghe An"\ndistrict = "Thanh Son"\n',
        encoding="utf-8",
    )
    registry = load_sites(path)
    assert [(site.name, site.place) for site in registry.sites] == [("a", THANH_LIEN)]
    (problem,) = registry.problems
    assert problem.line == 12 and "no district called 'Thanh Son'" in str(problem)


def test_a_new_communes_portal_takes_its_place_on_todays_map(tmp_path: Path) -> None:
    """'commune = "Tam Đồng"' (a commune since July 2025) was 'no commune
    called … before 2025': the merged communes' own portals had no place."""
    path = tmp_path / "sites.toml"
    path.write_text(
        '[[site]]\nname = "tam-dong"\nstart_urls = ["https://tamdong.vn/"]\n'
        'province = "Nghệ An"\ncommune = "Tam Đồng"\n'
        '\n[[site]]\nname = "x"\nstart_urls = ["https://x.vn/"]\n'
        'province = "Nghệ An"\ncommune = "Atlantis"\n',
        encoding="utf-8",
    )
    registry = load_sites(path)
    (site,) = registry.sites
    assert (site.name, gazetteer().label(site.place)) == (
        "tam-dong",
        "xã Tam Đồng, tỉnh Nghệ An",
    )
    (problem,) = registry.problems
    assert "no commune called 'Atlantis' in tỉnh Nghệ An before 2025, nor today" in str(problem)
    overview = portals_per_district(gazetteer(), [SitePlace("tam-dong", None, site.place, 4)])
    assert [(row.province, row.district, row.province_now) for row in overview] == [
        ("Nghệ An", None, "Nghệ An")
    ]


def test_sites_add_reads_the_place_from_the_host_and_says_so(tmp_path: Path) -> None:
    url = "https://thanhlien.thanhchuong.nghean.gov.vn/"
    args = ["sites", "add", "xa-thanh-lien", url, "--family", "vnportal", "--title", "Thanh Liên"]
    result = CliRunner().invoke(main, [*args, "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "xã Thanh Liên, huyện Thanh Chương, tỉnh Nghệ An → xã Tam Đồng" in result.output
    assert "read from the host name" in result.output
    assert load_sites(tmp_path / "sites.toml").get("xa-thanh-lien").place == THANH_LIEN
    other = "https://thanhmy.thanhchuong.nghean.gov.vn/"  # one portal is one site
    bad = CliRunner().invoke(
        main, [*args[:2], "b", other, "--district", "Nowhere", "--data", str(tmp_path)]
    )
    assert bad.exit_code == 2 and "no district called 'Nowhere'" in bad.output
    empty = CliRunner().invoke(
        main, [*args[:2], "b", other, "--province", "", "--data", str(tmp_path)]
    )
    assert empty.exit_code == 2 and "'--province': is empty" in empty.output
    assert load_sites(tmp_path / "sites.toml").get("b") is None


# -- a real crawl --------------------------------------------------------------


def test_mentions_of_a_real_crawl_match_the_ground_truth(harvest: Harvest) -> None:
    store = harvest.store()
    try:
        found, truth = set(), set()
        ambiguous = 0
        for family, portal in harvest.portals.items():
            by_id = {article.id: article for article in load_articles(family)}
            for url, expected in portal.expected_articles().items():
                archived = store.article(url)
                assert archived is not None, url
                for mention in archived.mentions:
                    if mention.unit:
                        found.add((url, mention.unit))
                    ambiguous += bool(mention.candidates)
                truth |= {(url, code) for code in by_id[expected.id].places}
    finally:
        store.close()
    precision = len(found & truth) / len(found)
    recall = len(found & truth) / len(truth)
    print(f"mention precision {precision:.3f}, recall {recall:.3f}, {ambiguous} ambiguous")
    assert precision >= MIN_PRECISION
    assert recall >= MIN_RECALL


def search(harvest: Harvest, *args: str) -> list[tuple[str, str]]:
    result = run_dna("search", "*", "--json", "--limit", "100", *args, data=harvest.data)
    assert result.returncode == 0, result.stderr
    return sorted(
        (hit["site"], hit["title"]) for hit in map(json.loads, result.stdout.splitlines())
    )


def test_search_by_old_or_new_place(harvest: Harvest) -> None:
    thanh_lien = search(harvest, "--place", "Thanh Liên")
    assert {site for site, _ in thanh_lien} == {"vnportal", "generic", "tandan"}
    assert [title for site, title in thanh_lien if site == "tandan"] == [
        "Thôn Thanh Liên đón nhận danh hiệu khu dân cư nông thôn mới kiểu mẫu"
    ]
    assert len([hit for hit in thanh_lien if hit[0] == "vnportal"]) == 12
    # The new commune covers the old communes merged into it.
    tam_dong = search(harvest, "--place", "tam dong, nghe an")
    assert set(thanh_lien) <= set(tam_dong)
    # An old district covers its communes, on every portal.
    district = search(harvest, "--place", "Thanh Chương")
    assert set(thanh_lien) <= set(district)
    assert {site for site, _ in district} == {"vnportal", "generic", "tandan"}


def test_province_and_district_filter_by_where_the_portal_sits(harvest: Harvest) -> None:
    assert {site for site, _ in search(harvest, "--province", "Hà Tĩnh")} == {"tandan"}
    in_district = search(harvest, "--district", "Thanh Chương")
    assert {site for site, _ in in_district} == {"vnportal", "generic"}
    both = search(harvest, "--place", "Thanh Liên", "--district", "Thanh Chương")
    assert {site for site, _ in both} == {"vnportal", "generic"}
    assert search(harvest, "--province", "Đồng Nai", "--district", "Thanh Chương") == []


def test_portal_filters_on_an_archive_with_no_places_say_why_nothing_is_found(
    harvest: Harvest, tmp_path: Path
) -> None:
    """After a restore from bare WARC files no portal has its place set: a
    researcher's --district found nothing, with the "fewer words" advice."""
    data = tmp_path / "data"
    shutil.copytree(harvest.data, data)
    with sqlite3.connect(data / "archive.sqlite3") as db:
        db.execute("UPDATE sites SET place = NULL")
    assert run_dna("index", "--rebuild", data=data).returncode == 0
    result = run_dna("search", "xã", "--district", "Thanh Chương", data=data)
    assert result.returncode == 0
    assert result.stdout.startswith("0 hits")
    assert "dna sites refresh-places --all" in result.stderr
    placed = run_dna("search", "xã", "--province", "Cà Mau", data=harvest.data)
    assert placed.stdout.startswith("0 hits") and "refresh-places" not in placed.stderr
    # Where no portal sits in the unit asked for, the hint says so (places probe).
    said = " ".join(placed.stderr.split())
    assert "No portal of this archive sits in tỉnh Cà Mau" in said
    there = run_dna("search", "zzqqxx", "--province", "Hà Tĩnh", data=harvest.data)
    assert "No portal of this archive sits" not in there.stderr


def test_unknown_or_ambiguous_place_is_a_one_line_error(harvest: Harvest) -> None:
    unknown = run_dna("search", "xã", "--place", "Atlantis", data=harvest.data)
    assert unknown.returncode == 2
    assert (
        unknown.stderr.strip().count("\n") == 0 and "no place called 'Atlantis'" in unknown.stderr
    )
    shared = run_dna("search", "xã", "--place", "Thanh Sơn", data=harvest.data)
    assert shared.returncode == 2 and '"Thanh Sơn, Lương Sơn, Hòa Bình"' in shared.stderr
    # An empty name was ignored: every article matched, as if no filter was given.
    for option in ("--place", "--province", "--district", "--category"):
        empty = run_dna("search", "xã", option, " ", data=harvest.data)
        assert empty.returncode == 2, (option, empty.stdout)
        assert f"Invalid value for '{option}': is empty" in empty.stderr
    # Found by the places probe: a province given as a district was "check
    # the spelling"; a 10,000-character name made a 10,984-character line;
    # an empty name was exit 1 in places, 2 in search.
    district = run_dna("search", "xã", "--district", "Nghệ An", data=harvest.data)
    assert district.stderr.strip() == "Error: no district called 'Nghệ An': it names a province"
    long = run_dna("places", "x" * 10_000, data=harvest.data)
    assert long.returncode == 1 and len(long.stderr) < 200
    empty = run_dna("places", "", data=harvest.data)
    assert empty.returncode == 2 and "is empty" in empty.stderr


def test_places_shows_names_parents_portals_and_articles(harvest: Harvest) -> None:
    result = run_dna("places", "thanh lien", data=harvest.data)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "xã Thanh Liên, huyện Thanh Chương, tỉnh Nghệ An (before the 2025" in out
    assert "now part of   xã Tam Đồng, tỉnh Nghệ An" in out
    assert "vnportal" in out and "12" in out
    assert "Articles mentioning it (or a unit it covers): 16" in out
    new = run_dna("places", "Tam Đồng, Nghệ An", data=harvest.data)
    assert "formed from   3 old units" in new.stdout and "xã Thanh Mỹ" in new.stdout


def test_stats_by_place(harvest: Harvest) -> None:
    result = run_dna("stats", "--by", "place", data=harvest.data)
    assert result.returncode == 0, result.stderr
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert "Nghệ An (all) Nghệ An 3 26" in lines
    assert "Thanh Chương 2 18" in lines
    assert "Hà Tĩnh (all) Hà Tĩnh 1 7" in lines
    assert any(line.startswith("xã Thanh Mai 1 ambiguous: 2 units") for line in lines)


def test_refresh_places_finds_mentions_again_on_an_archive_without_them(
    harvest: Harvest, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(harvest.data, data, ignore=shutil.ignore_patterns("logs"))
    with sqlite3.connect(data / "archive.sqlite3") as connection:
        before = connection.execute("SELECT count(*) FROM place_mentions").fetchone()[0]
        connection.execute("DELETE FROM place_mentions")  # as an archive made before places
    assert (
        "mentioning it (or a unit it covers): 0"
        in run_dna("places", "thanh lien", data=data).stdout
    )

    result = run_dna("sites", "refresh-places", "--all", data=data)

    assert result.returncode == 0, result.stderr
    assert "vnportal (xã Thanh Liên" in " ".join(result.stdout.split())
    with sqlite3.connect(data / "archive.sqlite3") as connection:
        assert connection.execute("SELECT count(*) FROM place_mentions").fetchone()[0] == before
    out = run_dna("places", "thanh lien", data=data).stdout
    assert "Articles mentioning it (or a unit it covers): 16" in out
    hits = run_dna("search", "*", "--place", "Thanh Liên", "--json", "--limit", "100", data=data)
    hits = hits.stdout
    assert len(hits.splitlines()) == len(search(harvest, "--place", "Thanh Liên"))
    assert run_dna("sites", "refresh-places", "nope", data=data).returncode == 2
    assert run_dna("sites", "refresh-places", data=data).returncode == 2
