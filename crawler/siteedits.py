"""Editing sites.toml: adding and removing ``[[site]]`` entries, never leaving it broken.

Reading and validating the file is :mod:`crawler.sites`; every edit here is
checked by reading the result back with it before it replaces the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

from crawler.sites import (
    CONTROL_OR_SPACE,
    SITE_HEADER,
    TOML_SYNTAX,
    SiteConfig,
    load_sites,
    validate_name,
    web_url_problem,
)
from extract.urls import origin_entry


def site_block(
    name: str,
    url: str,
    *,
    family: str,
    title: str | None = None,
    place: dict[str, str] | None = None,
) -> str:
    """The TOML text of a new ``[[site]]`` entry, for appending to the file.

    :param place: ``province``, ``district`` and ``commune`` names, if known.
    """
    lines = ["", "[[site]]", f"name = {_toml_str(name)}"]
    # A title comes from a stranger's <title>: one line, no control characters.
    title = " ".join(CONTROL_OR_SPACE.sub(" ", title).split()) if title else None
    if title:
        lines.append(f"title = {_toml_str(title)}")
    lines += [
        f"start_urls = [{_toml_str(url)}]",
        f"allowed_domains = [{_toml_str(origin_entry(url))}]",
        f"family = {_toml_str(family)}",
    ]
    lines += [f"{key} = {_toml_str(value)}" for key, value in (place or {}).items()]
    return "\n".join(lines) + "\n"


def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def check_new_site(path: Path, name: str, url: str) -> None:
    """Check that ``name`` and ``url`` may be appended to ``path``, before anything is fetched.

    :raises ValueError: the name is unsafe or taken, the URL is not http(s),
        or ``path`` is not valid TOML as a whole: appending to a file that
        cannot be parsed would bury the new entry in the breakage.
    """
    if problem := validate_name(name):
        raise ValueError(problem)
    if why := web_url_problem(url):
        raise ValueError(why)
    registry = load_sites(path)
    syntax = next((p for p in registry.problems if p.message.startswith(TOML_SYNTAX)), None)
    if syntax is not None:
        raise ValueError(f"not adding to a file that cannot be parsed: fix {syntax} first")
    if registry.get(name) or any(p.name == name for p in registry.problems):
        raise ValueError(f"a site called {name!r} is already in {path}")
    same = next(
        (site for site in registry.sites if _portal_key(url) in map(_portal_key, site.start_urls)),
        None,
    )
    if same is not None:
        raise ValueError(
            f"{url} is where site {same.name!r} starts already: one portal under two "
            "names would be crawled twice, its history split"
        )


def _portal_key(url: str) -> str:
    """``url`` as the same portal's start is written any way: scheme, ``www.``,
    case of the host, a closing slash and a ``#fragment`` aside."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").removeprefix("www.")
    port = f":{parts.port}" if parts.port not in (None, 80, 443) else ""
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{port}{parts.path.rstrip('/')}{query}"


def append_site(
    path: Path,
    name: str,
    url: str,
    *,
    family: str,
    title: str | None = None,
    place: dict[str, str] | None = None,
) -> SiteConfig:
    """Append a validated site entry to ``path`` and return it.

    :raises ValueError: see :func:`check_new_site`.
    """
    url = urldefrag(url).url  # "#top" names a place on the page, not another page
    check_new_site(path, name, url)
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    if existing and not existing.endswith("\n"):
        existing += "\n"
    # Written beside and validated there; only a valid registry replaces the
    # old one, so neither a crash nor a bad entry leaves sites.toml broken.
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(
        existing + site_block(name, url, family=family, title=title, place=place), "utf-8"
    )
    checked = load_sites(temporary)
    site = checked.get(name)
    if site is None:
        temporary.unlink()
        why = "; ".join(p.message for p in checked.problems if p.name == name) or "invalid"
        raise ValueError(f"the new entry for {name!r} did not validate: {why}")
    os.replace(temporary, path)
    return site


def remove_site(path: Path, name: str) -> int:
    """Take the ``[[site]]`` entry called ``name`` out of ``path``; the rest stays as written.

    Its comments and any other entry, valid or not, are kept byte for byte.

    :returns: the line the entry started on.
    :raises ValueError: no entry of that name, or ``path`` cannot be parsed
        (which entry ends where would be a guess).
    """
    registry = load_sites(path)
    syntax = next((p for p in registry.problems if p.message.startswith(TOML_SYNTAX)), None)
    if syntax is not None:
        raise ValueError(f"not editing a file that cannot be parsed: fix {syntax} first")
    site = registry.get(name)
    if site is None:
        known = ", ".join(s.name for s in registry.sites) or "none"
        raise ValueError(f"no site called {name!r} in {path} (known: {known})")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = site.line - 1
    end = next(
        (at for at in range(start + 1, len(lines)) if SITE_HEADER.match(lines[at])), len(lines)
    )
    _replace_text(path, "".join(lines[:start] + lines[end:]))
    return site.line


def _replace_text(path: Path, text: str) -> None:
    """Write beside and rename, so a crash never leaves a half-written registry."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)
