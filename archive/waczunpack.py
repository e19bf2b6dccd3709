"""Taking the WARC files out of a WACZ package, ours or another tool's, for a restore.

Packages come from strangers and travel: a ZIP may arrive cut short, its
directory damaged, a member altered.  Every hash is checked and every kind
of damage reported (a cut ZIP, a digest that does not match, a missing or
unlisted member) while all that is intact is kept.  A ZIP whose directory
is lost or damaged is read by its members' own headers.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from archive.messages import one_line
from archive.wacz import DATAPACKAGE, DIGEST, ORIGINAL_NAME, SITE_FACTS, member_name
from archive.warcscan import RawRecord, ScanProblem, iter_records

_CHUNK = 1 << 20
#: Bounds on a package's site facts: they come from whoever made it.
_FACT_CHARS = 200
_MAX_SITES = 10_000
#: What ``zipfile`` raises for a damaged package: besides its own error, a
#: directory pointing outside the file, an unknown method or version, a
#: flag for encryption, or data ending early.
_ZIP_DAMAGE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    struct.error,
)
#: What may not be in a file name on the disks a restore writes to.
_FILE_JUNK = re.compile(r"[\x00-\x1f/\\]+")


@dataclass(slots=True)
class Unpacked:
    """The WARC files taken out of a package, and what was wrong with it."""

    warcs: list[Path] = field(default_factory=list)
    problems: list[ScanProblem] = field(default_factory=list)
    #: each unpacked WARC's name for a reader: ``PACKAGE!/MEMBER`` (the copy is temporary)
    members: dict[Path, Path] = field(default_factory=dict)
    #: what the package says of each site (:data:`archive.wacz.SITE_FACTS`), made safe
    sites: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, package: Path, member: str, warc: Path) -> None:
        self.warcs.append(warc)
        self.members[warc] = Path(f"{package}!/{member}")


def unpack_wacz(path: Path, into: Path) -> Unpacked:
    """Copy the WARC members of package ``path`` into directory ``into``.

    Each WARC gets its archive name back when the package records it (ours),
    else its member name.  Every member is checked against the sha256 in
    ``datapackage.json``, and that file against ``datapackage-digest.json``;
    a mismatch is reported and the member is kept (a restore reads WARC
    files record by record, through damage).  A ZIP cut short has no
    central directory: its members are then found from their local headers,
    and the last one, cut, is kept as far as it goes; the files get their
    archive names back from their ``warcinfo`` records.  A member whose
    entry in the directory is damaged is found by its local header too.
    """
    result = Unpacked()

    def problem(message: str, offset: int = 0) -> None:
        # Member names come from whoever made the package.
        result.problems.append(ScanProblem(path, offset, one_line(message)))

    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed with the ZipFile, or below
    except OSError as exc:
        problem(f"cannot open: {exc.strerror}")
        return result
    try:
        archive = zipfile.ZipFile(handle)
    except _ZIP_DAMAGE:
        handle.close()
        problem("not a whole ZIP (cut short?): reading its members one by one")
        _unpack_cut(path, into, result)
        return result
    taken: set[str] = set()
    unlisted = False
    with archive, handle:
        resources = _resources(archive, problem, result)
        names = set(archive.namelist())
        for member in resources:
            if member not in names and member.startswith("archive/"):
                problem(f"{member} is listed in {DATAPACKAGE} but missing from the package")
        for info in archive.infolist():
            if not _is_warc_member(info.filename):
                continue
            try:
                source = archive.open(info)
            except _ZIP_DAMAGE as exc:
                problem(
                    f"{info.filename}: its entry in the ZIP directory is damaged ({exc}); "
                    "looking for it by its own header"
                )
                unlisted = True
                continue
            resource = resources.get(info.filename, {})
            target = into / _unique(_local_name(info.filename, resource), taken)
            try:
                with source, open(target, "wb") as sink:
                    digest = _copy_hashing(source, sink)
            except _ZIP_DAMAGE as exc:
                problem(f"{info.filename} is damaged ({exc}); restoring what can be read")
                # zipfile keeps back the chunk whose check failed (for a WARC under
                # 1 MB, all of it): its bytes as stored, for the restore to salvage.
                with open(target, "wb") as sink:
                    _copy_stored_bytes(handle, info, sink)
                digest = None
            expected = resource.get("hash")
            if digest is not None and expected and expected != "sha256:" + digest:
                problem(f"{info.filename} does not match its sha256 in {DATAPACKAGE}")
            result.add(path, info.filename, target)
    if unlisted:
        _unpack_cut(path, into, result, skip={str(member) for member in result.members.values()})
    return result


def _unique(name: str, taken: set[str]) -> str:
    """``name`` as a file name no other member of the package took: members
    ``archive/a/x.warc.gz`` and ``archive/b/x.warc.gz`` must not overwrite
    each other."""
    name = _FILE_JUNK.sub("-", name)
    unique, number = name, 1
    while unique in taken:
        number += 1
        unique = f"{number}-{name}"
    taken.add(unique)
    return unique


def _is_warc_member(name: str) -> bool:
    return name.startswith("archive/") and name.endswith((".warc", ".warc.gz"))


def _local_name(member: str, resource: dict) -> str:
    original = str(resource.get(ORIGINAL_NAME, ""))
    if (
        original
        and "/" not in original
        and original not in (".", "..")
        and _is_warc_member("archive/" + original)
    ):
        return original
    return member.rsplit("/", 1)[-1]


def _resources(
    archive: zipfile.ZipFile, problem: Callable[[str], None], result: Unpacked
) -> dict[str, dict]:
    """``datapackage.json``'s resources by path, its digest checked; empty if
    unreadable.  Its site facts go into ``result``."""
    try:
        package_bytes = archive.read(DATAPACKAGE)
        package = json.loads(package_bytes)
        listed = {str(item["path"]): item for item in package["resources"]}
        result.sites = _site_facts(package.get(SITE_FACTS))
    except KeyError:
        problem(f"no {DATAPACKAGE} (or no resources in it): WARC members are not checked")
        return {}
    except (TypeError, *_ZIP_DAMAGE) as exc:
        problem(f"{DATAPACKAGE} is unreadable ({type(exc).__name__}): WARC members are not checked")
        return {}
    try:
        expected = json.loads(archive.read(DIGEST)).get("hash")
    except KeyError:
        return listed
    except (AttributeError, *_ZIP_DAMAGE):
        expected = None
    if expected != "sha256:" + hashlib.sha256(package_bytes).hexdigest():
        problem(f"{DATAPACKAGE} does not match the digest in {DIGEST}: it was altered or damaged")
    return listed


def _site_facts(value: object) -> dict[str, dict[str, str]]:
    """The package's site facts, as far as they are short strings: from a stranger."""
    if not isinstance(value, dict):
        return {}
    return {
        one_line(site)[:_FACT_CHARS]: {
            one_line(key)[:_FACT_CHARS]: one_line(text)[:_FACT_CHARS]
            for key, text in facts.items()
            if isinstance(key, str) and isinstance(text, str)
        }
        for site, facts in list(value.items())[:_MAX_SITES]
        if isinstance(site, str) and isinstance(facts, dict)
    }


def _copy_hashing(source: IO[bytes], sink: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := source.read(_CHUNK):
        digest.update(chunk)
        sink.write(chunk)
    return digest.hexdigest()


_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_MAGIC = b"PK\x03\x04"


def _unpack_cut(path: Path, into: Path, result: Unpacked, skip: Collection[str] = ()) -> None:
    """WARC members of a ZIP without its central directory, from their local headers.

    :param skip: members taken out already, as ``PACKAGE!/MEMBER``.
    """
    taken = {warc.name for warc in result.warcs}
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        while True:
            start = handle.tell()
            header = handle.read(_LOCAL_HEADER.size)
            if len(header) < _LOCAL_HEADER.size or not header.startswith(_LOCAL_MAGIC):
                return
            fields = _LOCAL_HEADER.unpack(header)
            flags, method, compressed = fields[2], fields[3], fields[7]
            name_length, extra_length = fields[9], fields[10]
            name = handle.read(name_length).decode("utf-8", "replace")
            extra = handle.read(extra_length)
            if compressed == 0xFFFFFFFF:
                compressed = _zip64_size(extra)
            data_start = handle.tell()
            if flags & 0x08 or compressed is None:
                lost = "size unknown without the central directory; later members lost"
                message = f"{one_line(name)}: {lost}"
                result.problems.append(ScanProblem(path, start, message))
                return
            end = data_start + compressed
            wanted = _is_warc_member(name) and f"{path}!/{name}" not in skip
            if wanted and method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                target = into / _unique(name.rsplit("/", 1)[-1], taken)
                with open(target, "wb") as sink:
                    _copy_range(handle, sink, compressed, method)
                result.add(path, name, _named_as_in_archive(target, taken))
                if end > size:
                    message = (
                        f"{name} is cut short: {end - size} byte(s) missing; restoring the rest"
                    )
                    result.problems.append(ScanProblem(path, start, message))
            if end >= size:
                return
            handle.seek(end)


def _named_as_in_archive(warc: Path, taken: set[str]) -> Path:
    """``warc`` renamed as its ``warcinfo`` names it, if its member name was made from that.

    Without ``datapackage.json`` (a cut package), a WARC of ours still
    carries its archive name in ``WARC-Filename``.
    """
    first = next(iter_records(warc), None)
    if not isinstance(first, RawRecord) or first.record.rec_type != "warcinfo":
        return warc
    original = first.record.rec_headers.get_header("WARC-Filename") or ""
    if "/" in original or not _is_warc_member("archive/" + original):
        return warc
    if original in taken or member_name(original, set()) != warc.name:
        return warc
    taken.add(original)
    return warc.rename(warc.with_name(original))


def _zip64_size(extra: bytes) -> int | None:
    position = 0
    while position + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, position)
        if tag == 0x0001 and length >= 16:
            return struct.unpack_from("<Q", extra, position + 12)[0]
        position += 4 + length
    return None


def _copy_stored_bytes(handle: IO[bytes], info: zipfile.ZipInfo, sink: IO[bytes]) -> None:
    """Member ``info``'s data as the package holds it, through any damage."""
    handle.seek(info.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or not header.startswith(_LOCAL_MAGIC):
        return
    fields = _LOCAL_HEADER.unpack(header)
    handle.seek(fields[9] + fields[10], os.SEEK_CUR)  # the name and the extra field
    _copy_range(handle, sink, info.compress_size, info.compress_type)


def _copy_range(handle: IO[bytes], sink: IO[bytes], count: int, method: int) -> None:
    inflate = zlib.decompressobj(-15) if method == zipfile.ZIP_DEFLATED else None
    while count > 0:
        chunk = handle.read(min(_CHUNK, count))
        if not chunk:
            return
        count -= len(chunk)
        try:
            sink.write(inflate.decompress(chunk) if inflate else chunk)
        except zlib.error:
            return
