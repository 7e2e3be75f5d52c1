"""The lean transport's own HTTP work: reading answers, and a call's timeout as a deadline.

Why these exist: the lean transport writes each request in one piece and reads answers itself (see
dwevents/dataworks/lean.py), and the rules decide on the invocation's thread because a lookup cannot
outlive its timeout (dwevents/extension.py): a server that trickles its answer must not stretch a call.
"""

from __future__ import annotations

import http.client
import io
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dwevents.dataworks.client import DataWorksClient
from dwevents.dataworks.lean import read_answer
from dwevents.dataworks.settings import DataWorksSettings
from dwevents.errors import CloudApiError


def answer(raw: bytes) -> tuple[int, bytes, bool]:
    return read_answer(io.BufferedReader(io.BytesIO(raw)))


def test_given_a_content_length_answer_then_the_body_and_keep_alive() -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    assert answer(raw) == (200, b"{}", False)


def test_given_a_chunked_answer_with_extensions_and_trailers_then_the_joined_body() -> None:
    head = b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n"
    raw = head + b'3;x=y\r\n{"a\r\n4\r\n":1}\r\n0\r\nT: v\r\n\r\n'
    assert answer(raw) == (400, b'{"a":1}', False)


def test_given_an_interim_answer_then_the_final_one_is_read() -> None:
    raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    assert answer(raw) == (200, b"", True)


def test_given_no_length_then_the_body_runs_to_the_close_and_http10_closes() -> None:
    assert answer(b"HTTP/1.1 200 OK\r\n\r\n{}") == (200, b"{}", True)
    assert answer(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}") == (200, b"{}", True)
    assert answer(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")[2] is False


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"", http.client.RemoteDisconnected),
        (b"SSH-2.0-OpenSSH\r\n\r\n", http.client.BadStatusLine),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", http.client.IncompleteRead),
        (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", http.client.HTTPException),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", http.client.HTTPException),
        (b"HTTP/1.1 200 OK\r\n" + b"A: b\r\n" * 101 + b"\r\n", http.client.HTTPException),
        (b"HTTP/1.1 200 OK\r\nA: " + b"b" * 70000 + b"\r\n\r\n", http.client.LineTooLong),
    ],
    ids=["closed", "not-http", "short-body", "bad-length", "bad-chunk", "too-many-headers", "long-line"],
)
def test_given_a_broken_answer_then_an_http_error(raw: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        answer(raw)


@pytest.fixture()
def trickling() -> Iterator[str]:
    """A server that answers one byte every 0.2 s (a valid answer, ~12 s in all)."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            body = b'{"RequestId": "r"}'
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body):
                if stop.wait(0.2):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    server.close()
    thread.join(5)


def test_given_an_answer_that_trickles_in_when_called_then_the_timeout_bounds_the_whole_call(
    trickling: str,
) -> None:
    # GIVEN a server whose every byte comes well within a per-read timeout, but whose answer takes ~12 s
    client = DataWorksClient(
        DataWorksSettings(endpoint=trickling, protocol="http", access_key_id="a", access_key_secret="b")
    )
    # WHEN a call is given 1 s
    started = time.monotonic()
    with pytest.raises(CloudApiError) as caught:
        client.call("GetExtension", {"ExtensionCode": "e"}, timeout_s=1.0)
    # THEN it gives up at its deadline, as a (transient) timeout
    assert time.monotonic() - started < 1.5
    assert caught.value.code == "Transport.Timeout" and caught.value.transient
    assert client.deadline_bounded


def test_given_a_line_break_in_a_header_setting_then_every_call_is_refused_not_sent() -> None:
    # GIVEN a security token with a line break (headers go on the wire as they are)
    client = DataWorksClient(
        DataWorksSettings(
            endpoint="127.0.0.1:9", protocol="http", access_key_id="a", access_key_secret="b",
            security_token="tok\r\nX-Injected: 1",
        )
    )  # fmt: skip
    # WHEN called THEN a permanent error, before any connection
    with pytest.raises(CloudApiError) as caught:
        client.call("GetExtension", {"ExtensionCode": "e"}, timeout_s=1.0)
    assert caught.value.code == "InvalidHeader" and not caught.value.transient


@pytest.fixture()
def tls_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[int]]]:
    """An HTTPS server for ``localhost`` (self-signed, trusted by the client for this test) answering every
    request on a connection until it closes; yields its endpoint and the number of connections accepted."""
    cryptography = pytest.importorskip("cryptography")
    del cryptography
    import datetime as dt
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_file, key_file)
    trusting = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: trusting(cafile=str(cert_file)))
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []

    def serve() -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            with server_ctx.wrap_socket(raw, server_side=True) as conn:
                stream = conn.makefile("rb")
                while True:
                    head = b""
                    while not head.endswith(b"\r\n\r\n"):
                        line = stream.readline()
                        if not line:
                            break
                        head += line
                    if not head.endswith(b"\r\n\r\n"):
                        break
                    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                    stream.read(length)
                    body = b'{"RequestId": "tls-%d", "Extension": {}}' % len(accepted)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"localhost:{listener.getsockname()[1]}", accepted
    listener.close()


def test_given_https_when_called_twice_then_one_verified_tls_connection_carries_both(
    tls_server: tuple[str, list[int]],
) -> None:
    endpoint, accepted = tls_server
    client = DataWorksClient(
        DataWorksSettings(endpoint=endpoint, protocol="https", access_key_id="a", access_key_secret="b")
    )
    # WHEN two calls are made THEN both are answered over one (kept-alive, certificate-checked) connection
    assert client.get_extension("e", timeout_s=5) == {}
    assert client.call("GetExtension", {"ExtensionCode": "e"}, timeout_s=5)["RequestId"] == "tls-1"
    assert accepted == [1]
