"""DPI business messages: the project's validation agrees with Digdir's official JSON schemas.

The oracle is ``jsonschema`` (Draft 7, with format checking) over the schemas in
``../shared/fixtures/dpi/json-schemas``, resolved through a local registry (no network).
Agreement is checked on valid messages (Digdir's samples, the reference client's, our own of
every type) and on every mutation a generic mutator makes of them: both must say valid or
invalid, and when invalid, name the same JSON locations.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dpi_samples
import jsonschema
import pytest
import referencing
from referencing.jsonschema import DRAFT7

from peppol_dpi.dpi.bodies import Adresse, Fingeravtrykk
from peppol_dpi.dpi.identifiers import DpiProcess, MessageType
from peppol_dpi.dpi.jsonmodel import JsonError
from peppol_dpi.dpi.message import (
    BusinessMessage,
    parse_business_message,
    validate_business_message,
)
from peppol_dpi.errors import ValidationError

SAMPLES = ("digital", "utskrift")


class Oracle:
    def __init__(self, folder: Path) -> None:
        resources = []
        self.by_type: dict[str, dict[str, Any]] = {}
        for path in sorted(folder.rglob("*.schema.json")):
            schema = json.loads(path.read_text(encoding="utf-8"))
            resources.append((schema["$id"], DRAFT7.create_resource(schema)))
            name = path.name.removeprefix("innbyggerpost_dpi_").removesuffix("_1_0.schema.json")
            if name in MessageType.__members__.values():
                self.by_type[name] = schema
        self.registry: referencing.Registry[Any] = referencing.Registry().with_resources(resources)
        formats = jsonschema.Draft7Validator.FORMAT_CHECKER
        checker = jsonschema.FormatChecker(formats=[*formats.checkers, "uuid"])
        checker.checkers["uuid"] = jsonschema.Draft201909Validator.FORMAT_CHECKER.checkers["uuid"]
        self.format_checker = checker

    def locations(self, message_type: str, instance: Any) -> set[str]:
        validator = jsonschema.Draft7Validator(
            self.by_type[message_type], registry=self.registry, format_checker=self.format_checker
        )
        return {error.json_path for error in validator.iter_errors(instance)}


@pytest.fixture(scope="module")
def oracle(shared: Path) -> Oracle:
    o = Oracle(shared / "dpi" / "json-schemas")
    assert set(o.by_type) == set(MessageType.__members__.values())
    return o


def schema_locations(instance: Any) -> set[str]:
    return {
        p.location for p in validate_business_message(instance) if p.rule.startswith("dpi-schema:")
    }


def declared_type(instance: Any) -> str | None:
    try:
        declared = instance["standardBusinessDocument"]["standardBusinessDocumentHeader"][
            "documentIdentification"
        ]["type"]
    except (KeyError, TypeError):
        return None
    return declared if declared in MessageType.__members__.values() else None


def assert_agree(oracle: Oracle, instance: Any, message_type: str) -> bool:
    """Both validators agree; returns whether the instance is schema-valid."""
    declared = declared_type(instance) or message_type
    expected = oracle.locations(declared, instance)
    ours = schema_locations(instance)
    assert ours == expected, json.dumps(instance)[:400]
    return not expected


# -- valid messages ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_digdir_samples_are_valid(shared: Path, oracle: Oracle, name: str) -> None:
    data = (shared / "dpi" / "digdir-samples" / f"{name}-forretningsmelding.json").read_bytes()
    instance = json.loads(data)
    assert assert_agree(oracle, instance, name)
    message = parse_business_message(data)
    assert message.type == MessageType(name)
    assert message.process is DpiProcess[name.upper()]
    # Our writer reproduces the compact JSON of Digdir's client (member order included).
    compact = json.dumps(instance, ensure_ascii=False, separators=(",", ":")).encode()
    assert message.to_bytes() == compact


@pytest.mark.parametrize("name", ["digital_ready_for_send", "utskrift_ready_for_send"])
def test_reference_client_fixtures_are_schema_valid(
    shared: Path, oracle: Oracle, name: str
) -> None:
    instance = json.loads((shared / "dpi" / "reference-client" / f"{name}-sbd.json").read_bytes())
    assert assert_agree(oracle, instance, name.split("_", maxsplit=1)[0])
    # Their organisation numbers (987654321, 999888999...) fail the modulus-11 check, a DPI
    # profile rule the schema does not have.
    rules = {p.rule for p in validate_business_message(instance)}
    assert rules == {"id:org-number"}


def test_reference_client_feil_fixture_is_invalid(shared: Path, oracle: Oracle) -> None:
    instance = json.loads((shared / "dpi" / "reference-client" / "feil-sbd.json").read_bytes())
    assert not assert_agree(oracle, instance, "feil")


@pytest.mark.parametrize("message_type", list(MessageType))
def test_every_type_round_trips_and_is_schema_valid(
    oracle: Oracle, message_type: MessageType
) -> None:
    message = dpi_samples.message(message_type)
    data = message.to_bytes()
    assert assert_agree(oracle, json.loads(data), message_type.value)
    again = parse_business_message(data)
    assert again == message
    assert again.to_bytes() == data


# -- generated invalid (and valid) variants ------------------------------------------------------

_STRINGS = (
    "",
    "a",
    "no",
    "x" * 81,
    "x" * 101,
    "x" * 256,
    "x" * 501,
    "1234",
    "12345",
    "FR",
    "0192:991825827",
    "01x2:991825827",
    "2026-02-30",
    "2026-03-16",
    "2026-03-16T14:16:08+01:00",
    "2026-03-16T14:16:08",
    "4c96fb25-54b0-4560-a954-afdeed10077b",
    "4c96fb25-54b0-4560-a954-afdeed10077",
    "ola@example.no",
    "ola.example.no",
    "+47 900 00 000",
    "900-00-00x",
    "SORT_HVIT",
    "DIREKTE_RETUR",
    "B",
    "sms",
    "SERVER",
    "iso6523-actorid-upis",
)
_OTHERS = (None, True, 0, 3, 3.0, 4, 5, 2.5, 26, -1, [], {}, [0] * 11)


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nodes(item, (*path, index))


def _replace(instance: Any, path: tuple[Any, ...], new: Any) -> Any:
    result = copy.deepcopy(instance)
    target = result
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return result


def _delete(instance: Any, path: tuple[Any, ...]) -> Any:
    result = copy.deepcopy(instance)
    target = result
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return result


def mutations(instance: Any) -> Iterator[Any]:
    """Every single-step mutation: delete, add an unknown member, retype, change the value."""
    for path, value in _nodes(instance):
        if not path:
            continue
        if path[-1] == "type" and len(path) == 4:
            continue  # the declared type selects the schema (tested on its own below)
        if isinstance(path[-1], str):
            yield _delete(instance, path)
        if isinstance(value, dict):
            yield _replace(instance, path, {**value, "unknown": 1})
        if isinstance(value, str):
            candidates: tuple[Any, ...] = (*_STRINGS, *_OTHERS[:3])
        elif isinstance(value, list):
            candidates = ([], [*value, *value], "x", [0] * 11, [value[0]] * 11 if value else [1])
        else:
            candidates = _OTHERS
        for candidate in candidates:
            if candidate != value or type(candidate) is not type(value):
                yield _replace(instance, path, candidate)


def _instances(shared: Path) -> Iterator[tuple[str, Any]]:
    for name in SAMPLES:
        data = (shared / "dpi" / "digdir-samples" / f"{name}-forretningsmelding.json").read_bytes()
        yield name, json.loads(data)
    for message_type in MessageType:
        yield message_type.value, json.loads(dpi_samples.message(message_type).to_bytes())


def test_mutations_agree_with_the_schemas(shared: Path, oracle: Oracle) -> None:
    valid = invalid = 0
    for message_type, instance in _instances(shared):
        for mutant in mutations(instance):
            if assert_agree(oracle, mutant, message_type):
                valid += 1
            else:
                invalid += 1
    # The mutator must really exercise both sides.
    assert invalid > 5000 and valid > 2000, (valid, invalid)


@pytest.mark.parametrize(
    "address",
    [
        {"navn": "A", "adresselinje1": "B", "postnummer": "1234", "poststed": "C", "land": "Norge"},
        {"navn": "A", "adresselinje1": "B", "land": "Sverige", "landkode": "SE"},
        {"navn": "A", "adresselinje1": "B"},
        {
            "navn": "A",
            "adresselinje1": "B",
            "postnummer": "1234",
            "poststed": "C",
            "landkode": "NO",
        },
    ],
)
def test_address_one_of_both_or_neither_is_invalid(oracle: Oracle, address: dict[str, str]) -> None:
    instance = json.loads(dpi_samples.message(MessageType.UTSKRIFT).to_bytes())
    instance["standardBusinessDocument"]["utskrift"]["mottaker"] = address
    assert not assert_agree(oracle, instance, "utskrift")
    with pytest.raises(ValidationError) as caught:
        Adresse(**address)
    assert caught.value.rule == "dpi-schema:oneOf"


def test_foreign_address_may_keep_a_postcode(oracle: Oracle) -> None:
    instance = json.loads(dpi_samples.message(MessageType.UTSKRIFT).to_bytes())
    address = {"navn": "A", "adresselinje1": "B", "postnummer": "7500", "land": "Frankrike"}
    instance["standardBusinessDocument"]["utskrift"]["mottaker"] = address
    assert assert_agree(oracle, instance, "utskrift")


def test_every_problem_is_reported() -> None:
    instance = json.loads(dpi_samples.message(MessageType.DIGITAL).to_bytes())
    body = instance["standardBusinessDocument"]["digital"]
    del body["avsender"]
    body["sikkerhetsnivaa"] = 5
    body["spraak"] = "nor"
    body["varsler"]["smsvarsel"]["mobiltelefonnummer"] = "call me now"
    body["extra"] = True
    with pytest.raises(ValidationError) as caught:
        parse_business_message(json.dumps(instance).encode())
    rules = sorted(p.rule for p in caught.value.problems)
    assert rules == [
        "dpi-schema:additionalProperties",
        "dpi-schema:enum",
        "dpi-schema:maxLength",
        "dpi-schema:pattern",
        "dpi-schema:required",
    ]
    locations = {p.location for p in caught.value.problems}
    assert "$.standardBusinessDocument.digital.varsler.smsvarsel.mobiltelefonnummer" in locations


# -- where we are stricter than the Python oracle, on purpose ------------------------------------


def test_patterns_follow_ecma262_not_python_re(oracle: Oracle) -> None:
    # JSON Schema patterns are ECMA-262: "$" is the very end and \d, \w are ASCII (Java, which
    # Digdir's client validates with, agrees). Python's re, used by jsonschema, accepts these.
    instance = json.loads(dpi_samples.message(MessageType.DIGITAL).to_bytes())
    sms = ("standardBusinessDocument", "digital", "varsler", "smsvarsel", "mobiltelefonnummer")
    mutant = _replace(instance, sms, "+4790000000\n")
    assert oracle.locations("digital", mutant) == set()
    assert schema_locations(mutant) == {"$." + ".".join(sms)}


def test_email_needs_a_local_part_and_a_domain(oracle: Oracle) -> None:
    instance = json.loads(dpi_samples.message(MessageType.DIGITAL).to_bytes())
    path = ("standardBusinessDocument", "digital", "varsler", "epostvarsel", "epostadresse")
    mutant = _replace(instance, path, "ola@")
    assert oracle.locations("digital", mutant) == set()  # jsonschema only looks for an "@"
    assert schema_locations(mutant) == {"$." + ".".join(path)}


# -- DPI profile rules beyond the schemas -------------------------------------------------------


def _header(instance: Any) -> dict[str, Any]:
    return instance["standardBusinessDocument"]["standardBusinessDocumentHeader"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [
        (lambda h: h["documentIdentification"].update(standard="urn:x"), "dpi:standard"),
        (lambda h: h["documentIdentification"].update(typeVersion="2.0"), "dpi:type-version"),
        (lambda h: h["businessScope"].update(scope=[]), "dpi:conversation-scope"),
        (lambda h: h["businessScope"]["scope"][0].update(type="X"), "dpi:conversation-scope"),
        (
            lambda h: h["businessScope"]["scope"][0].update(identifier=DpiProcess.UTSKRIFT.value),
            "dpi:process",
        ),
        (lambda h: h["sender"][0]["identifier"].update(value="0192:991825828"), "id:org-number"),
        (lambda h: h["receiver"][0]["identifier"].update(authority="x"), "id:scheme"),
        (lambda h: h["documentIdentification"].update(type="brev"), "dpi:message-type"),
    ],
)
def test_profile_rules(oracle: Oracle, mutate: Any, rule: str) -> None:
    instance = json.loads(dpi_samples.message(MessageType.DIGITAL).to_bytes())
    mutate(_header(instance))
    if rule != "dpi:message-type":
        assert oracle.locations("digital", instance) == set()  # the schema allows it
    with pytest.raises(ValidationError) as caught:
        parse_business_message(json.dumps(instance).encode())
    assert rule in {p.rule for p in caught.value.problems}


def test_digipost_capital_i_standard_is_accepted() -> None:
    instance = json.loads(dpi_samples.message(MessageType.LEVERINGSKVITTERING).to_bytes())
    ident = _header(instance)["documentIdentification"]
    ident["standard"] = ident["standard"].replace("xsd::innbyggerpost", "xsd::Innbyggerpost")
    message = parse_business_message(json.dumps(instance).encode())
    assert message.type is MessageType.LEVERINGSKVITTERING


def test_fingerprint_rules() -> None:
    fingerprint = Fingeravtrykk.of(b"cms bytes")
    assert fingerprint.matches(b"cms bytes") and not fingerprint.matches(b"cms bytes!")
    instance = json.loads(dpi_samples.message(MessageType.DIGITAL).to_bytes())
    body = instance["standardBusinessDocument"]["digital"]
    body["dokumentpakkefingeravtrykk"] = {"digestMethod": "sha1", "digestValue": "AAAA"}
    with pytest.raises(ValidationError) as caught:
        parse_business_message(json.dumps(instance).encode())
    assert {p.rule for p in caught.value.problems} == {"dpi:digest-method", "dpi:digest-value"}


# -- strict JSON -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (
            b'{"standardBusinessDocument": {}, "standardBusinessDocument": {}}',
            "json:duplicate-member",
        ),
        (b"\xef\xbb\xbf{}", "json:encoding"),
        (b'{"a": "\xff"}', "json:encoding"),
        (b'{"a": "\\ud800"}', "json:encoding"),
        (b'{"a": NaN}', "json:syntax"),
        (b'{"a": 1', "json:syntax"),
        (b"[" * 100_000 + b"]" * 100_000, "json:depth"),
        (b"1" * 5000, "json:number"),  # more than 1000 digits (Jackson refuses them too)
        ('{"a": "x"}'.encode("utf-16"), "json:encoding"),
    ],
)
def test_strict_json(data: bytes, rule: str) -> None:
    with pytest.raises(JsonError) as caught:
        parse_business_message(data)
    assert caught.value.rule == rule


def test_size_limit() -> None:
    from dataclasses import replace

    from peppol_dpi.limits import DEFAULT_LIMITS

    data = dpi_samples.message(MessageType.DIGITAL).to_bytes()
    with pytest.raises(JsonError) as caught:
        parse_business_message(data, limits=replace(DEFAULT_LIMITS, max_jws_bytes=len(data) - 1))
    assert caught.value.rule == "json:size"


def test_building_an_invalid_message_reports_every_problem() -> None:
    with pytest.raises(ValidationError) as caught:
        dpi_samples.digital().__class__(
            **{**dpi_samples.digital().__dict__, "spraak": "norsk", "ikkesensitivtittel": ""}
        )
    assert {p.location for p in caught.value.problems} == {"$.spraak", "$.ikkesensitivtittel"}


def test_receipt_keeps_unknown_members_of_open_objects() -> None:
    instance = json.loads(dpi_samples.message(MessageType.LEVERINGSKVITTERING).to_bytes())
    body = instance["standardBusinessDocument"]["leveringskvittering"]
    body["mottaker"]["vendorExtension"] = {"a": [1, 2]}
    message = parse_business_message(json.dumps(instance).encode())
    assert json.loads(message.to_bytes()) == instance


def test_message_ids_are_uuids() -> None:
    message = dpi_samples.message(MessageType.DIGITAL)
    assert message.message_id == dpi_samples.MESSAGE_ID
    assert isinstance(message.conversation_id, uuid.UUID)
    assert isinstance(message, BusinessMessage)


def test_nesting_is_bounded_at_max_depth_whatever_the_recursion_limit() -> None:
    # jsonparse.MAX_DEPTH (500): below Jackson's 1000, and not Python's recursion limit, which a
    # program may raise; brackets inside strings do not count.
    from peppol_dpi.jsonparse import MAX_DEPTH, load_json

    assert load_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, what="x", max_bytes=1 << 20)
    with pytest.raises(JsonError) as caught:
        load_json(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), what="x", max_bytes=1 << 20)
    assert caught.value.rule == "json:depth"
    text = b'["' + b"[" * 2000 + b'\\"{"]'  # 2001 brackets, one level deep
    assert load_json(text, what="x", max_bytes=1 << 20) == ["[" * 2000 + '"{']


@pytest.mark.parametrize(
    ("unit", "units"),
    [("a", 50_000), ("å", 25_000), ("€", 16_666), ("😀", 12_500)],
    ids=["ascii", "two-byte", "three-byte", "four-byte"],
)
def test_member_names_are_bounded_in_utf8_bytes(unit: str, units: int) -> None:
    # jsonparse.MAX_NAME_BYTES: Jackson 2.16 and later (integrasjonspunkt, the mailbox
    # providers) refuse a name of more than 50,000 bytes read from bytes, or characters read
    # from text. Bytes bind both: "å" * 25,001 is 25,001 characters but 50,002 bytes.
    from peppol_dpi.jsonparse import MAX_NAME_BYTES, load_json

    assert len((unit * units).encode()) <= MAX_NAME_BYTES
    within = ('{"%s": 1}' % (unit * units)).encode()
    assert load_json(within, what="x", max_bytes=1 << 20) == {unit * units: 1}
    beyond = ('{"k": {"%s": 1}}' % (unit * (units + 1))).encode()
    with pytest.raises(JsonError) as caught:
        load_json(beyond, what="x", max_bytes=1 << 20)
    assert caught.value.rule == "json:name"
    assert "50000 bytes" in caught.value.message


def test_an_escaped_name_counts_what_it_decodes_to() -> None:
    from peppol_dpi.jsonparse import MAX_NAME_BYTES, load_json

    # 25,001 escapes of U+00E5: 150,006 bytes of JSON text, a name of 50,002 UTF-8 bytes.
    beyond = b'{"' + b"\\u00e5" * (MAX_NAME_BYTES // 2 + 1) + b'": 1}'
    with pytest.raises(JsonError) as caught:
        load_json(beyond, what="x", max_bytes=1 << 20)
    assert caught.value.rule == "json:name"
    within = b'{"' + b"\\u00e5" * (MAX_NAME_BYTES // 2) + b'": 1}'
    assert load_json(within, what="x", max_bytes=1 << 20) == {"å" * (MAX_NAME_BYTES // 2): 1}


def test_strings_are_bounded_in_utf8_bytes() -> None:
    # jsonparse.MAX_STRING_BYTES: Jackson 2.15.1 and later refuse a string of more than
    # 20,000,000 (bytes or characters, as above). Only a document longer than that can hold one.
    from peppol_dpi.jsonparse import MAX_STRING_BYTES, load_json

    within = b'["' + b"a" * MAX_STRING_BYTES + b'", 1]'
    assert len(load_json(within, what="x", max_bytes=1 << 26)[0]) == MAX_STRING_BYTES
    for beyond in (
        b'{"a": ["' + b"a" * (MAX_STRING_BYTES + 1) + b'"]}',
        b'["' + "å".encode() * (MAX_STRING_BYTES // 2 + 1) + b'"]',
    ):
        with pytest.raises(JsonError) as caught:
            load_json(beyond, what="x", max_bytes=1 << 26)
        assert caught.value.rule == "json:string"
    # Many strings each within the bound make no string beyond it.
    many = b'["' + b'", "'.join([b"a" * 1_000_000] * 21) + b'"]'
    assert len(load_json(many, what="x", max_bytes=1 << 26)) == 21
