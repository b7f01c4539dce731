"""Service configuration, JSON-lines logging, wire dumps and the JWKS fetched over HTTP."""

from __future__ import annotations

import io
import json
import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from transport_doubles import Maskinporten, make_key

from peppol_dpi.errors import InputError, TransportError, UsageError
from peppol_dpi.transport.auth import AuthenticationError, HttpJwks, MaskinportenTokenVerifier
from peppol_dpi.transport.config import Corner2Config, Corner3Config, load_config
from peppol_dpi.transport.http import Response, wsgi_app
from peppol_dpi.transport.logs import configure_logging
from peppol_dpi.transport.server import WsgiServer
from peppol_dpi.transport.wire import WireDump, WireMessage


def test_config_from_toml_and_environment(tmp_path):
    path = tmp_path / "c2.toml"
    path.write_text(
        """
maskinporten_issuer = "https://maskinporten.no/"
business_trust_anchors = ["a.pem", "b.pem"]
[server]
port = 8080
[server.deadlines]
head_seconds = 10
[retry]
first_delay_seconds = 5
[lookup.static_endpoints]
"0192:984661185" = "https://c3.example/as4"
"""
    )
    config = load_config(
        Corner2Config,
        path,
        env={
            "PEPPOL_DPI_C2__SERVER__THREADS": "3",
            "PEPPOL_DPI_C2__SERVER__DEADLINES__MIN_BYTES_PER_SECOND": "1000",
            "PEPPOL_DPI_C2__LOG_JSON": "false",
            "OTHER": "x",
        },
        prefix="PEPPOL_DPI_C2",
    )
    assert config.server.port == 8080 and config.server.threads == 3
    deadlines = config.server.deadlines
    assert (deadlines.head_seconds, deadlines.body_seconds) == (10.0, 20.0)
    assert deadlines.min_bytes_per_second == 1000
    assert (
        config.retry.first_delay_seconds == 5.0
        and config.retry.policy().first_delay.total_seconds() == 5
    )
    assert config.business_trust_anchors == (Path("a.pem"), Path("b.pem"))
    assert config.lookup.static_endpoints == {"0192:984661185": "https://c3.example/as4"}
    assert config.log_json is False
    assert config.maskinporten_issuer == "https://maskinporten.no/"


def test_config_refuses_typos_and_bad_values(tmp_path):
    with pytest.raises(UsageError, match="unknown keys"):
        load_config(Corner3Config, env={"PEPPOL_DPI__SERVER__PROT": "1"})
    with pytest.raises(UsageError, match=r"server\.port"):
        load_config(Corner3Config, env={"PEPPOL_DPI__SERVER__PORT": "eighty"})
    with pytest.raises(UsageError):
        load_config(Corner3Config, env={"PEPPOL_DPI__SERVER__PORT": "70000"})
    with pytest.raises(UsageError, match="positive"):
        load_config(Corner3Config, env={"PEPPOL_DPI__SERVER__DEADLINES__HEAD_SECONDS": "0"})
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(UsageError):
        load_config(Corner3Config, bad)
    good = tmp_path / "c3.json"
    good.write_text(json.dumps({"corner4_urls": {"0192:984661185": "http://127.0.0.1:1/"}}))
    assert load_config(Corner3Config, good).corner4_urls == {
        "0192:984661185": "http://127.0.0.1:1/"
    }
    # A key given twice is refused, not its last value taken (as TOML refuses it); in a file
    # and in an environment variable holding JSON.
    twice = tmp_path / "twice.json"
    twice.write_text('{"server": {"port": 8080, "port": 8443}}')
    with pytest.raises(UsageError, match="twice"):
        load_config(Corner3Config, twice)
    with pytest.raises(UsageError, match="expected a JSON object"):
        load_config(
            Corner3Config,
            env={"PEPPOL_DPI__CORNER4_URLS": '{"0192:984661185": "a", "0192:984661185": "b"}'},
        )


def test_a_configuration_file_is_read_only_up_to_its_bound(tmp_path):
    # /dev/zero given as --config was read to the end of memory.
    from peppol_dpi.transport.config import MAX_CONFIG_BYTES

    huge = tmp_path / "huge.toml"
    huge.write_bytes(b"#" * (MAX_CONFIG_BYTES + 1))
    for path in (huge, Path("/dev/zero")):
        with pytest.raises(UsageError, match=f"larger than {MAX_CONFIG_BYTES} bytes"):
            load_config(Corner3Config, path)


def test_json_lines_logging_carries_ids():
    stream = io.StringIO()
    handler = configure_logging(service="corner2", stream=stream)
    try:
        logging.getLogger("peppol_dpi.transport.test").info(
            "accepted", extra={"message_id": "m-1", "conversation_id": "c-1"}
        )
    finally:
        logging.getLogger("peppol_dpi").removeHandler(handler)
    entry = json.loads(stream.getvalue().splitlines()[-1])
    assert entry["event"] == "accepted" and entry["service"] == "corner2"
    assert entry["message_id"] == "m-1" and entry["conversation_id"] == "c-1"


def test_wire_dump_format_round_trips(tmp_path):
    message = WireMessage(
        headers=(("Content-Type", 'multipart/related; boundary="b"'),),
        body=b"\r\n--b\r\nx\r\n--b--",
    )
    path = WireDump(tmp_path).write(
        incoming=False, message_id="a/b@c2", message=message, now=datetime.now(UTC)
    )
    assert path.suffix == ".as4out" and "a_b@c2" in path.name
    data = path.read_bytes()
    assert data.startswith(b'Content-Type: multipart/related; boundary="b"\r\n\r\n')
    assert WireMessage.from_dump(data) == message
    with pytest.raises(InputError):
        WireMessage.from_dump(b"no blank line")


def test_jwks_fetched_over_http_and_cached():
    mp = Maskinporten(make_key("mp"))
    calls = []

    def jwks_endpoint(request):
        calls.append(request.path)
        return Response.json(mp.jwks)

    server = WsgiServer(wsgi_app(jwks_endpoint, max_body=1024))
    server.start()
    try:
        verifier = MaskinportenTokenVerifier(
            issuer=mp.issuer, jwks=HttpJwks(server.url + "/jwks", session=requests.Session())
        )
        now = datetime.now(UTC)
        assert verifier.verify(mp.token(), now=now).owner == "0192:991825827"
        assert verifier.verify(mp.token(supplier="810969342"), now=now).owner == "0192:810969342"
        with pytest.raises(AuthenticationError):
            verifier.verify(mp.token(key=make_key("x").key), now=now)
        assert len(calls) == 1  # cached; an unknown signature is not an unknown kid
    finally:
        server.stop()
    with pytest.raises(TransportError):
        HttpJwks("http://127.0.0.1:9/jwks", session=requests.Session(), timeout=2).keys()


def test_services_built_from_configuration_dump_wire_and_log_ids(tmp_path, capsys, monkeypatch):
    """Both corners from configuration files alone: keys, trust anchors, SML zone, DNS server,
    JWKS; the real AS4/DPI formats are made from them."""
    import pki
    from transport_doubles import MAILBOX_ORG, SENDER_ORG, RecordingCorner4
    from transport_harness import Keys, Sender, wait_for
    from transport_network import LETTERS, RECEIPTS, SML_ZONE, Network

    from peppol_dpi.transport.build import build_corner2, build_corner3

    (tmp_path / "spool-c4").mkdir()
    keys, network = Keys.make(), Network()
    corner4 = RecordingCorner4(spool_dir=tmp_path / "spool-c4")
    (tmp_path / "jwks.json").write_text(json.dumps(keys.maskinporten.jwks))
    dns_server = f"{network.resolver.nameservers[0]}:{network.resolver.port}"

    def common(corner: str) -> dict[str, object]:
        (tmp_path / f"spool-{corner}").mkdir()
        return {
            "server": {"spool_dir": str(tmp_path / f"spool-{corner}")},
            "retry": {"first_delay_seconds": 0.2},
            "worker": {"lease_seconds": 5, "timeout_seconds": 3, "poll_seconds": 0.5},
            "store": {"path": str(tmp_path / f"{corner}.sqlite3")},
            "as4": {
                "key_file": str(pki.path(f"ap-{corner}.p12")),
                "key_password_env": "AP_PASSWORD",
                "trust_anchors": [str(pki.path("root-ca.cert.pem"))],
                "intermediates": [str(pki.path("ap-ca.cert.pem")), str(pki.path("smp-ca.cert.pem"))],
                "message_id_host": f"{corner}.config.test",
            },
            "lookup": {"sml_zone": SML_ZONE, "dns_server": dns_server,
                       "smp_trust_anchors": [str(pki.path("root-ca.cert.pem"))]},
            "business_trust_anchors": [str(pki.path("business-root-ca.cert.pem"))],
            "business_intermediates": [str(pki.path("business-ca.cert.pem"))],
        }  # fmt: skip

    c2_file, c3_file = tmp_path / "c2.json", tmp_path / "c3.json"
    c2_file.write_text(json.dumps({
        **common("c2"), "maskinporten_issuer": keys.maskinporten.issuer,
        "maskinporten_jwks_file": str(tmp_path / "jwks.json"),
        "wire_dump_dir": str(tmp_path / "dumps2")}))  # fmt: skip
    c3_file.write_text(json.dumps({
        **common("c3"), "corner4_default_url": corner4.url,
        "corner4_api_key_env": "C4_KEY"}))  # fmt: skip
    env = {"AP_PASSWORD": "changeit", "C4_KEY": "s3cret"}
    with pytest.raises(UsageError, match="AP_PASSWORD"):
        build_corner2(load_config(Corner2Config, c2_file), env={})
    with pytest.raises(UsageError, match="C4_KEY"):
        build_corner3(load_config(Corner3Config, c3_file), env={"AP_PASSWORD": "changeit"})
    # Every spool the services make (request bodies, packages, AS4 messages built, opened and
    # delivered) is made in the folder configured for it (corner 4 here is the test's own).
    spool_dirs: list[object] = []
    spooled = tempfile.SpooledTemporaryFile

    def recording(*args: Any, **kwargs: Any) -> Any:
        spool_dirs.append(kwargs.get("dir"))
        return spooled(*args, **kwargs)

    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", recording)
    c2 = build_corner2(load_config(Corner2Config, c2_file), env=env).start()
    c3 = build_corner3(load_config(Corner3Config, c3_file), env=env).start()
    network.register(f"0192:{MAILBOX_ORG}", url=c3.as4_url,
                     certificate=pki.ap_key("c3").certificate, types=LETTERS)  # fmt: skip
    network.register(f"0192:{SENDER_ORG}", url=c2.as4_url,
                     certificate=pki.ap_key("c2").certificate, types=RECEIPTS)  # fmt: skip
    try:
        sender = Sender(keys, c2.url)
        _, message_id = sender.post()
        wait_for(lambda: message_id in corner4.delivered, what="delivery")
        assert requests.post(f"{c3.url}/receipts", data=b"x", timeout=10).status_code == 401
        dumps = sorted(p.suffix for p in (tmp_path / "dumps2").iterdir())
        assert dumps == [".as4in", ".as4out"]
        assert set(spool_dirs) == {str(tmp_path / f"spool-{c}") for c in ("c2", "c3", "c4")}
    finally:
        c2.stop()
        c3.stop()
        corner4.stop()
        network.stop()
        logging.getLogger("peppol_dpi").handlers.clear()
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    accepted = [e for e in lines if e["event"] == "accepted"]
    # one process runs both services here: the last configure_logging names them all
    assert accepted and accepted[0]["message_id"] == message_id
    assert accepted[0]["service"] == "corner3" and accepted[0]["caller"] == "0192:991825827"
    assert any(e["event"] == "sent" and e["message_id"] == message_id for e in lines)


def test_audience_restricted_tokens():
    from transport_harness import Keys

    from peppol_dpi.transport.auth import StaticJwks

    mp = Keys.make().maskinporten
    verifier = MaskinportenTokenVerifier(
        issuer=mp.issuer, jwks=StaticJwks(mp.jwks), audience="https://c2.test/dpi"
    )
    now = datetime.now(UTC)
    assert verifier.verify(mp.token(extra={"aud": "https://c2.test/dpi"}), now=now).owner
    assert verifier.verify(mp.token(extra={"aud": ["x", "https://c2.test/dpi"]}), now=now).owner
    for token in (mp.token(), mp.token(extra={"aud": "https://other.test/"})):
        with pytest.raises(AuthenticationError) as info:
            verifier.verify(token, now=now)
        assert info.value.rule == "token:audience"


def test_files_a_configuration_names_are_read_only_up_to_their_bound(tmp_path):
    # Keys, certificates and trust stores (Limits.max_key_file_bytes), the JWKS: read whole,
    # so bounded, as the configuration itself is.
    from peppol_dpi.limits import DEFAULT_LIMITS
    from peppol_dpi.transport.config import read_key_file

    with pytest.raises(UsageError, match=f"larger than {DEFAULT_LIMITS.max_key_file_bytes} bytes"):
        read_key_file(Path("/dev/zero"))
    key = tmp_path / "key.p12"
    key.write_bytes(b"k" * 10)
    assert read_key_file(key) == b"k" * 10
