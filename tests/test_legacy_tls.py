"""A portal that speaks only TLS 1.0, as old IIS servers do, crawled to its article.

The OpenSSL bundled for Twisted has no TLS 1.0: before the fallback to the
system's OpenSSL, the crawl ended ``failed`` with nothing archived, and
``dna sites add`` could not look at the home page.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from crawler.tls import any_tls_context
from tests.harness import TEST_CRAWLER_OPTIONS, archived_articles, run_dna, serve_pages

_ARTICLE = (
    "<html><head><title>Hội nghị tổng kết</title></head><body>"
    "<h1>Hội nghị tổng kết công tác năm của xã Thanh Liên</h1><div class='noidung'>"
    + "<p>Sáng nay, Ủy ban nhân dân xã tổ chức hội nghị tổng kết công tác năm, đánh giá"
    " kết quả đạt được và đề ra nhiệm vụ trọng tâm cho năm tới.</p>" * 4 + "</div></body></html>"
)
_PAGES = {
    "/": (200, '<a href="/tin-tuc/hoi-nghi-1001.html">Hội nghị</a>'.encode()),
    "/tin-tuc/hoi-nghi-1001.html": (200, _ARTICLE.encode()),
}


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert, private = directory / "cert.pem", directory / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, private


def _tls1_only(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_ciphers("ALL:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture
def old_portal(tmp_path: Path) -> Iterator[str]:
    """An HTTPS portal on 127.0.0.1 that speaks TLS 1.0 and nothing newer."""
    server, _ = serve_pages(_PAGES, tls=_tls1_only(*_certificate(tmp_path)))
    url = f"https://127.0.0.1:{server.server_address[1]}/"
    try:
        with (
            socket.create_connection(server.server_address[:2], timeout=5) as raw,
            any_tls_context().wrap_socket(raw) as tls,
        ):
            assert tls.version() == "TLSv1"
    except (OSError, AssertionError) as exc:
        server.shutdown()
        pytest.skip(f"this machine's OpenSSL cannot speak TLS 1.0 to itself: {exc}")
    yield url
    server.shutdown()


def test_a_portal_speaking_only_tls_1_0_is_crawled(old_portal: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "sites.toml").write_text(TEST_CRAWLER_OPTIONS, encoding="utf-8")
    added = run_dna("sites", "add", "old", old_portal, data=data)
    assert added.returncode == 0, added.stderr
    assert "cannot fetch" not in added.stdout + added.stderr
    result = run_dna("crawl", "old", "--no-index", data=data)
    assert result.returncode == 0, result.stdout + result.stderr
    titles = [article.title for article in archived_articles(data, "old")]
    assert titles == ["Hội nghị tổng kết công tác năm của xã Thanh Liên"]
    (log,) = (data / "logs").glob("crawl-*.log")
    assert "refused a modern TLS handshake; fetched over TLSv1" in log.read_text(encoding="utf-8")
    verified = run_dna("verify", data=data)
    assert verified.returncode == 0, verified.stdout + verified.stderr
