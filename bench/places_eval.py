"""Precision and recall of place mentions on the sample portals' articles.

Every hand-written article of :mod:`sampleportal` lists, in its ``places``,
the gazetteer codes of the units its text mentions, judged by hand (same-named
communes of other provinces included).  This runs the mention finder on the
same text the crawl extracts (title, lead, body, captions) with each portal's
own units as context, and scores the settled mentions against that list.
Ambiguous mentions count as not found: they are reported, never guessed.
``tests/test_places.py`` scores a real crawl of the portals the same way.

Usage (from the repository root)::

    python -m bench.places_eval            # scores per portal and overall
    python -m bench.places_eval --errors   # and every miss and false hit
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field

from places.gazetteer import gazetteer
from places.mentions import article_text, finder
from sampleportal.corpus import FAMILIES, load_articles, load_site


@dataclass
class Score:
    """Settled mentions against the ground truth, as (article, unit) pairs."""

    found: set[tuple[str, str]] = field(default_factory=set)
    truth: set[tuple[str, str]] = field(default_factory=set)
    ambiguous: int = 0
    unknown: int = 0

    @property
    def precision(self) -> float:
        return len(self.found & self.truth) / len(self.found) if self.found else 1.0

    @property
    def recall(self) -> float:
        return len(self.found & self.truth) / len(self.truth) if self.truth else 1.0


def evaluate(family: str) -> Score:
    """Score the mention finder on ``family``'s portal articles."""
    places = gazetteer()
    site = places.locate(**load_site(family).units).code
    score = Score()
    for article in load_articles(family):
        key = f"{family}/{article.id}"
        text = article_text(
            (
                article.title,
                article.summary,
                *article.paragraphs,
                *(figure.caption for figure in article.figures),
            )
        )
        for mention in finder(site).find(text, article.published):
            if mention.unit:
                score.found.add((key, mention.unit))
            elif mention.candidates:
                score.ambiguous += 1
            else:
                score.unknown += 1
        score.truth |= {(key, code) for code in article.places}
    return score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--errors", action="store_true", help="list every miss and false hit")
    args = parser.parse_args()
    started = time.perf_counter()
    places = gazetteer()
    loaded = time.perf_counter() - started
    total = Score()
    print(f"gazetteer: {len(places.units)} units loaded in {loaded * 1000:.0f} ms")
    print(f"{'portal':<10} truth found   prec recall ambig  unkn")
    for family in FAMILIES:
        score = evaluate(family)
        print(
            f"{family:<10} {len(score.truth):>5} {len(score.found):>5} "
            f"{score.precision:>6.3f} {score.recall:>6.3f} {score.ambiguous:>5} {score.unknown:>5}"
        )
        if args.errors:
            for article, code in sorted(score.found - score.truth):
                print(f"    false hit  {article}: {places.label(code)}")
            for article, code in sorted(score.truth - score.found):
                print(f"    missed     {article}: {places.label(code)}")
        total.found |= score.found
        total.truth |= score.truth
        total.ambiguous += score.ambiguous
        total.unknown += score.unknown
    print(
        f"{'all':<10} {len(total.truth):>5} {len(total.found):>5} "
        f"{total.precision:>6.3f} {total.recall:>6.3f} {total.ambiguous:>5} {total.unknown:>5}"
    )


if __name__ == "__main__":
    main()
