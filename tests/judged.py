"""Judged query sets: queries and the articles a researcher expects, for recall@10 and MRR.

Shared by the Whoosh tests (``test_search_quality``) and the PostgreSQL
tests (``test_search_postgres``), which must score at least as well.
"""

from __future__ import annotations

from collections.abc import Callable

THANH_LIEN = {"seed", "ntm-dat-chuan", "htx", "hdnd", "lead-only"}

#: (query, relevant article keys)
JUDGED: list[tuple[str, set[str]]] = [
    # diacritic-free and place names
    ("thanh lien", THANH_LIEN),
    ("Thanh Liên", THANH_LIEN),
    # compounds, adjacent versus scattered, NFD documents
    ("nông thôn mới", {"ntm-dat-chuan", "ntm-nfd"}),
    ("nong thon moi", {"ntm-dat-chuan", "ntm-nfd"}),
    ('"nông thôn mới"', {"ntm-dat-chuan", "ntm-nfd"}),
    ("hợp tác xã", {"htx"}),
    ("hop tac xa", {"htx"}),
    ("bảo hiểm y tế", {"bhyt"}),
    ("bao hiem y te", {"bhyt"}),
    ("chuyen doi so", {"chuyen-doi-so"}),
    ("duong giao thong", {"duong", "ntm-dat-chuan"}),
    ("ứng phó bão lũ", {"bao-storm-2"}),
    # words that fold alike
    ("bão", {"bao-storm", "bao-storm-2"}),
    ("cơn bão", {"bao-storm"}),
    ("báo chí", {"bao-newspaper"}),
    ("bảo vệ rừng", {"bao-protect"}),
    ("bao bì", {"bao-bag"}),
    # tone-mark placement, old style and new
    ("hòa giải", {"old-style"}),
    ("hoà giải", {"old-style"}),
    ("thủy lợi", {"new-style-thuy", "old-style"}),
    ("thuỷ lợi", {"new-style-thuy", "old-style"}),
    ("khỏe", {"old-style"}),
    ("quý báu", {"old-style"}),
    ("quỹ", {"quy"}),
    # abbreviations, đ
    ("UBND", {"seed", "date-text"}),
    ("HĐND", {"hdnd"}),
    ("hdnd", {"hdnd"}),
    ("MTTQ", {"mttq"}),
    ("VHTT&TT", {"seed"}),
    ("dang uy", {"dang-uy"}),
    # numbers and dates as written
    ("1.026", {"seed"}),
    ("34 tỷ", {"seed", "numbers"}),
    ("12/04/2017", {"date-text"}),
    # short words StandardAnalyzer would drop
    ("y tế", {"y-te", "bhyt"}),
    ("an ninh", {"an-ninh", "old-style"}),
    # lead, captions and author are searched too
    ("kéo co", {"caption-only"}),
    ("học sinh giỏi", {"lead-only"}),
    ("nguyen thi duyen", {"author"}),
]


# -- the bundled sample portals' corpus ----------------------------------------

SAMPLE_THANH_LIEN = {
    "vnportal-488619",
    "vnportal-497310",
    "vnportal-533871",
    "vnportal-515206",
    "vnportal-499815",
    "vnportal-538524",
    "vnportal-561208",
    "vnportal-455960",
    "tandan-31245",
}

#: Judged on the articles of ``sampleportal.corpus``, keyed "family-id".
SAMPLE_JUDGED: list[tuple[str, set[str]]] = [
    ("thanh lien", SAMPLE_THANH_LIEN),
    (
        "nong thon moi",
        {"liferay-1123405", "tandan-31245", "nukeviet-2145", "generic-815", "vnportal-497310"},
    ),
    ("hợp tác xã", {"liferay-1287731", "tandan-32410"}),
    ("cơn bão", {"vnportal-533871", "generic-689"}),
    ("bao tiêu", {"tandan-33187"}),
    ("Báo Nghệ An", {"generic-1012"}),
    ("HĐND", {"vnportal-538524", "tandan-34778", "nukeviet-2311"}),
    ("hdnd", {"vnportal-538524", "tandan-34778", "nukeviet-2311"}),
    ("khám sức khỏe", {"liferay-1052217", "nukeviet-1566"}),
    ("chuyen doi so", {"liferay-1451902"}),
    ("bảo hiểm y tế", {"vnportal-520733"}),
    ("Lễ hội Làng Sen", {"liferay-1330209"}),
    ("tiếp công dân", {"nukeviet-1405"}),
    ("Quý Mão", {"vnportal-499815"}),
    ("duoi nuoc", {"tandan-34002"}),
    ("hiến đất", {"vnportal-455960"}),
]


def recall_and_mrr(
    ranked: Callable[[str], list[str]], judged: list[tuple[str, set[str]]]
) -> tuple[float, float, list[tuple[str, list[str]]]]:
    """Mean recall@10 and MRR over ``judged``, and the queries that fell short.

    :param ranked: the top ten keys a query returns, best first.
    """
    recalls, reciprocal_ranks, misses = [], [], []
    for query, relevant in judged:
        top = ranked(query)
        found = relevant & set(top)
        recalls.append(len(found) / len(relevant))
        first = next((rank for rank, key in enumerate(top, 1) if key in relevant), None)
        reciprocal_ranks.append(1 / first if first else 0.0)
        if found != relevant or first != 1:
            misses.append((query, top))
    return sum(recalls) / len(recalls), sum(reciprocal_ranks) / len(reciprocal_ranks), misses
