"""The bodies of the DPI business messages, one class per JSON schema object.

Every rule comes from Digdir's JSON schemas (``schemas/dpi/commons.schema.json`` and
``innbyggerpost_dpi_<type>_1_0.schema.json``, draft-07); the member order is the schemas'
property order, which is the order Digdir's client writes and its signed samples show.
Attribute names are the JSON names in snake case, so they can be found in Digdir's docs.

DPI profile rules on top of the schemas (problems with other rule names than
``dpi-schema:*``): organisation identifiers must be valid ``0192:<orgnr>`` participants,
and the package fingerprint must be base64 SHA-256 (``xmlenc#sha256``), as every
implementation computes it (docs/dpi.md).
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar

from ..errors import InputError
from ..ids import ParticipantId, ParticipantScheme
from ..jsonparse import Json
from .jsonmodel import (
    DATE,
    DATE_TIME,
    Boolean,
    Choice,
    Converted,
    Field,
    Integer,
    JsonObject,
    ListOf,
    Nested,
    OneOf,
    Required,
    Text,
    no_extensions,
)

__all__ = [
    "Adresse",
    "Avsender",
    "Body",
    "Digital",
    "Epostvarsel",
    "Feil",
    "Feiltype",
    "Fingeravtrykk",
    "Flyttet",
    "Kvittering",
    "Personmottaker",
    "Posttype",
    "Retur",
    "Returposthaandtering",
    "Sikkerhetsnivaa",
    "Smsvarsel",
    "Utskrift",
    "Utskriftstype",
    "Varsler",
    "VarslingfeiletKvittering",
    "Varslingskanal",
    "Virksomhetmottaker",
]

SHA256_URI = "http://www.w3.org/2001/04/xmlenc#sha256"


class Sikkerhetsnivaa(enum.IntEnum):
    """commons#/definitions/sikkerhetsnivaa: authentication level needed to open."""

    NIVAA_3 = 3
    NIVAA_4 = 4


class Utskriftstype(enum.StrEnum):
    SORT_HVIT = "SORT_HVIT"
    FARGE = "FARGE"


class Posttype(enum.StrEnum):
    A = "A"  # priority
    B = "B"  # economy


class Returposthaandtering(enum.StrEnum):
    DIREKTE_RETUR = "DIREKTE_RETUR"
    MAKULERING_MED_MELDING = "MAKULERING_MED_MELDING"


class Varslingskanal(enum.StrEnum):
    EPOST = "epost"
    SMS = "sms"


class Feiltype(enum.StrEnum):
    KLIENT = "KLIENT"  # the sender must fix the cause
    SERVER = "SERVER"  # central infrastructure failed


# -- shared objects (commons.schema.json) -------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Virksomhetsidentifikator(JsonObject):
    # commons#/definitions/virksomhetsidentifikator
    authority: ParticipantScheme
    value: str
    _fields: ClassVar = (
        Field("authority", "authority", Choice(ParticipantScheme), required=True),
        # The schema's pattern is not anchored: it only needs "<4 digits>:<word char>" inside.
        Field("value", "value", Text(pattern=re.compile(r"[0-9]{4}:\w{1,35}", re.ASCII)), True),
    )


def _participant(identifier: _Virksomhetsidentifikator) -> ParticipantId:
    # DPI profile: a valid Peppol participant, for Norwegian bodies 0192:<orgnr> (mod 11).
    return ParticipantId(value=identifier.value, scheme=identifier.authority)


ORGANISATION: Converted[ParticipantId] = Converted(
    Nested(_Virksomhetsidentifikator),
    _participant,
    lambda p: _Virksomhetsidentifikator(authority=p.scheme, value=p.value),
    ParticipantId,
)


@dataclass(frozen=True, kw_only=True)
class Avsender(JsonObject):
    """commons#/definitions/avsender: the legal sender (behandlingsansvarlig), or for a
    receipt the provider that sends it."""

    virksomhetsidentifikator: ParticipantId
    avsenderidentifikator: str | None = None
    faktura_referanse: str | None = None
    _what: ClassVar = "avsender"
    _fields: ClassVar = (
        Field("virksomhetsidentifikator", "virksomhetsidentifikator", ORGANISATION, True),
        Field("avsenderidentifikator", "avsenderidentifikator", Text(max_length=100)),
        Field("fakturaReferanse", "faktura_referanse", Text(max_length=40)),
    )


@dataclass(frozen=True, kw_only=True)
class Personmottaker(JsonObject):
    """commons#/definitions/personmottaker: only the mailbox address (no national id)."""

    postkasseadresse: str
    _what: ClassVar = "mottaker"
    _fields: ClassVar = (Field("postkasseadresse", "postkasseadresse", Text(), True),)


@dataclass(frozen=True, kw_only=True)
class Virksomhetmottaker(JsonObject):
    """commons#/definitions/virksomhetmottaker: the original sender, in a receipt. The schema
    leaves this object open: unknown members are kept in ``extensions``."""

    virksomhetsidentifikator: ParticipantId
    motakeridentifikator: str | None = None  # sic: the schema spells it with one "t"
    extensions: Mapping[str, Json] = field(default_factory=no_extensions)
    _closed: ClassVar = False
    _what: ClassVar = "mottaker"
    _fields: ClassVar = (
        Field("virksomhetsidentifikator", "virksomhetsidentifikator", ORGANISATION, True),
        Field("motakeridentifikator", "motakeridentifikator", Text(max_length=100)),
    )


def _digest_method(uri: str) -> str:
    # DPI profile: every implementation fingerprints with SHA-256 (CreateParcelFingerprint).
    if uri != SHA256_URI:
        raise InputError(
            f"the package fingerprint must use {SHA256_URI}, not {uri!r}", rule="dpi:digest-method"
        )
    return uri


def _digest_value(text: str) -> bytes:
    try:
        digest = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 32:
        raise InputError(
            "the package fingerprint must be the base64 of a 32-byte SHA-256 digest",
            rule="dpi:digest-value",
        )
    return digest


@dataclass(frozen=True, kw_only=True)
class Fingeravtrykk(JsonObject):
    """commons#/definitions/dokumentpakkefingeravtrykk: SHA-256 of the exact CMS bytes."""

    digest_value: bytes
    digest_method: str = SHA256_URI
    _what: ClassVar = "dokumentpakkefingeravtrykk"
    _fields: ClassVar = (
        Field("digestMethod", "digest_method", Converted(Text(), _digest_method, str, str), True),
        Field(
            "digestValue",
            "digest_value",
            Converted(Text(), _digest_value, lambda b: base64.b64encode(b).decode(), bytes),
            True,
        ),
    )

    @classmethod
    def of(cls, package: bytes) -> Fingeravtrykk:
        """The fingerprint of an encrypted document package (its exact CMS bytes)."""
        return cls(digest_value=hashlib.sha256(package).digest())

    def matches(self, package: bytes) -> bool:
        return self.matches_digest(hashlib.sha256(package).digest())

    def matches_digest(self, sha256: bytes) -> bool:
        """Whether ``sha256`` (the package's digest, computed in chunks from a file) is this one."""
        return hmac.compare_digest(self.digest_value, sha256)

    @property
    def base64(self) -> str:
        return base64.b64encode(self.digest_value).decode()


_REPETISJONER = ListOf(Integer(minimum=0, maximum=25), min_items=1, max_items=10)


@dataclass(frozen=True, kw_only=True)
class Epostvarsel(JsonObject):
    """commons#/definitions/epostvarsel."""

    epostadresse: str
    varslingstekst: str
    repetisjoner: tuple[int, ...]
    _what: ClassVar = "epostvarsel"
    _fields: ClassVar = (
        Field("epostadresse", "epostadresse", Text(format="email"), True),
        Field("varslingstekst", "varslingstekst", Text(min_length=1, max_length=500), True),
        Field("repetisjoner", "repetisjoner", _REPETISJONER, True),
    )


@dataclass(frozen=True, kw_only=True)
class Smsvarsel(JsonObject):
    """commons#/definitions/smsvarsel."""

    mobiltelefonnummer: str
    varslingstekst: str
    repetisjoner: tuple[int, ...]
    _what: ClassVar = "smsvarsel"
    _fields: ClassVar = (
        Field(
            "mobiltelefonnummer",
            "mobiltelefonnummer",
            # schema: ^\+?[- _0-9]+$ (ECMA-262: "$" is the very end, hence \Z)
            Text(min_length=8, max_length=20, pattern=re.compile(r"^\+?[- _0-9]+\Z", re.ASCII)),
            True,
        ),
        Field("varslingstekst", "varslingstekst", Text(min_length=1, max_length=160), True),
        Field("repetisjoner", "repetisjoner", _REPETISJONER, True),
    )


@dataclass(frozen=True, kw_only=True)
class Varsler(JsonObject):
    """commons#/definitions/varsler (``{}`` is valid; the schema leaves the object open)."""

    epostvarsel: Epostvarsel | None = None
    smsvarsel: Smsvarsel | None = None
    extensions: Mapping[str, Json] = field(default_factory=no_extensions)
    _closed: ClassVar = False
    _untyped: ClassVar = True
    _what: ClassVar = "varsler"
    _fields: ClassVar = (
        Field("epostvarsel", "epostvarsel", Nested(Epostvarsel)),
        Field("smsvarsel", "smsvarsel", Nested(Smsvarsel)),
    )


_AVSENDER = Field("avsender", "avsender", Nested(Avsender), True)
_FINGERAVTRYKK = Field("dokumentpakkefingeravtrykk", "dokumentpakkefingeravtrykk", Nested(Fingeravtrykk), True)  # fmt: skip
_TOKEN = Field("maskinportentoken", "maskinportentoken", Text(), True)
_SIKKERHETSNIVAA = Field("sikkerhetsnivaa", "sikkerhetsnivaa", Choice(Sikkerhetsnivaa, integer=True), True)  # fmt: skip
_VIRKNINGSDATO = Field("virkningsdato", "virkningsdato", DATE)
_VIRKNINGSTIDSPUNKT = Field("virkningstidspunkt", "virkningstidspunkt", DATE_TIME)
_AAPNINGSKVITTERING = Field("aapningskvittering", "aapningskvittering", Boolean())
_TITTEL = Field("ikkesensitivtittel", "ikkesensitivtittel", Text(min_length=1, max_length=255), True)  # fmt: skip
_SPRAAK = Field("spraak", "spraak", Text(min_length=2, max_length=2), True)
_VARSLER = Field("varsler", "varsler", Nested(Varsler))
_TIDSPUNKT = Field("tidspunkt", "tidspunkt", DATE_TIME, True)
_PERSONMOTTAKER = Field("mottaker", "mottaker", Nested(Personmottaker), True)
# The members that digital post and moved post (flyttet) end with, in the schemas' order.
_DIGITAL_POST = (
    _SIKKERHETSNIVAA,
    _VIRKNINGSDATO,
    _VIRKNINGSTIDSPUNKT,
    _AAPNINGSKVITTERING,
    _TITTEL,
    _SPRAAK,
    _VARSLER,
)


# -- digital, flyttet -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Digital(JsonObject):
    """innbyggerpost_dpi_digital_1_0.schema.json: digital post to a citizen's mailbox."""

    avsender: Avsender
    mottaker: Personmottaker
    dokumentpakkefingeravtrykk: Fingeravtrykk
    maskinportentoken: str
    sikkerhetsnivaa: Sikkerhetsnivaa
    ikkesensitivtittel: str
    spraak: str
    virkningsdato: date | None = None
    virkningstidspunkt: datetime | None = None
    aapningskvittering: bool | None = None
    varsler: Varsler | None = None
    _what: ClassVar = "digital"
    _fields: ClassVar = (
        _AVSENDER,
        _PERSONMOTTAKER,
        _FINGERAVTRYKK,
        _TOKEN,
        *_DIGITAL_POST,
    )


@dataclass(frozen=True, kw_only=True)
class Flyttet(JsonObject):
    """innbyggerpost_dpi_flyttet_1_0.schema.json: post moved between mailbox providers."""

    avsender: Avsender
    mottaker: Personmottaker
    maskinportentoken: str
    tidspunkt: datetime
    dokumentpakkefingeravtrykk: Fingeravtrykk
    mottakstidspunkt: date
    sikkerhetsnivaa: Sikkerhetsnivaa
    ikkesensitivtittel: str
    spraak: str
    aapnet: bool | None = None
    virkningsdato: date | None = None
    virkningstidspunkt: datetime | None = None
    aapningskvittering: bool | None = None
    varsler: Varsler | None = None
    _what: ClassVar = "flyttet"
    _fields: ClassVar = (
        _AVSENDER,
        _PERSONMOTTAKER,
        _TOKEN,
        _TIDSPUNKT,
        _FINGERAVTRYKK,
        Field("mottakstidspunkt", "mottakstidspunkt", DATE, True),
        Field("aapnet", "aapnet", Boolean()),
        *_DIGITAL_POST,
    )


# -- utskrift -------------------------------------------------------------------------------------

_NORWEGIAN = Required(("navn", "adresselinje1", "postnummer", "poststed"))
_FOREIGN = OneOf(
    (Required(("navn", "adresselinje1", "land")), Required(("navn", "adresselinje1", "landkode"))),
    "",
)


@dataclass(frozen=True, kw_only=True)
class Adresse(JsonObject):
    """utskrift#/definitions/adresseInformasjon: a postal address.

    The schema's ``oneOf``: either Norwegian (navn, adresselinje1, postnummer, poststed) or
    foreign (navn, adresselinje1 and exactly one of land, landkode), never both: a Norwegian
    address that also names its ``land`` is invalid (docs/dpi.md, print addresses).
    """

    navn: str | None = None
    adresselinje1: str | None = None
    adresselinje2: str | None = None
    adresselinje3: str | None = None
    adresselinje4: str | None = None
    postnummer: str | None = None
    poststed: str | None = None
    land: str | None = None
    landkode: str | None = None
    _what: ClassVar = "adresse"
    _fields: ClassVar = (
        Field("navn", "navn", Text()),
        *(Field(f"adresselinje{i}", f"adresselinje{i}", Text(max_length=100)) for i in range(1, 5)),
        Field("postnummer", "postnummer", Text(pattern=re.compile(r"^\d{4}\Z", re.ASCII))),
        Field("poststed", "poststed", Text(max_length=80)),
        Field("land", "land", Text(max_length=80)),
        Field("landkode", "landkode", Text(pattern=re.compile(r"^[a-zA-Z]{2}\Z", re.ASCII))),
    )
    _one_of: ClassVar = OneOf(
        (_NORWEGIAN, _FOREIGN),
        "an address is either Norwegian (navn, adresselinje1, postnummer, poststed) or foreign "
        "(navn, adresselinje1 and exactly one of land, landkode), not both and not neither",
    )


@dataclass(frozen=True, kw_only=True)
class Retur(JsonObject):
    """utskrift#/definitions/retur: where returned letters go, and what happens to them."""

    mottaker: Adresse
    returposthaandtering: Returposthaandtering
    _what: ClassVar = "retur"
    _fields: ClassVar = (
        Field("mottaker", "mottaker", Nested(Adresse), True),
        Field("returposthaandtering", "returposthaandtering", Choice(Returposthaandtering), True),
    )


@dataclass(frozen=True, kw_only=True)
class Utskrift(JsonObject):
    """innbyggerpost_dpi_utskrift_1_0.schema.json: physical (printed) post."""

    avsender: Avsender
    mottaker: Adresse
    dokumentpakkefingeravtrykk: Fingeravtrykk
    maskinportentoken: str
    utskriftstype: Utskriftstype
    retur: Retur
    posttype: Posttype | None = None
    _what: ClassVar = "utskrift"
    _fields: ClassVar = (
        _AVSENDER,
        Field("mottaker", "mottaker", Nested(Adresse), True),
        _FINGERAVTRYKK,
        _TOKEN,
        Field("utskriftstype", "utskriftstype", Choice(Utskriftstype), True),
        Field("retur", "retur", Nested(Retur), True),
        Field("posttype", "posttype", Choice(Posttype)),
    )


# -- receipts -------------------------------------------------------------------------------------

_KVITTERING_FIELDS = (
    _AVSENDER,
    Field("mottaker", "mottaker", Nested(Virksomhetmottaker), True),
    _TIDSPUNKT,
)


@dataclass(frozen=True, kw_only=True)
class Kvittering(JsonObject):
    """commons#/definitions/kvittering: the body of leveringskvittering, aapningskvittering,
    mottakskvittering and returpostkvittering. ``avsender`` is the provider that sends the
    receipt, ``mottaker`` the original legal sender."""

    avsender: Avsender
    mottaker: Virksomhetmottaker
    tidspunkt: datetime
    _what: ClassVar = "kvittering"
    _fields: ClassVar = _KVITTERING_FIELDS


@dataclass(frozen=True, kw_only=True)
class VarslingfeiletKvittering(JsonObject):
    """innbyggerpost_dpi_varslingfeiletkvittering_1_0.schema.json: a notification failed."""

    avsender: Avsender
    mottaker: Virksomhetmottaker
    tidspunkt: datetime
    varslingskanal: Varslingskanal
    beskrivelse: str | None = None
    _what: ClassVar = "varslingfeiletkvittering"
    _fields: ClassVar = (
        *_KVITTERING_FIELDS,
        Field("beskrivelse", "beskrivelse", Text()),
        Field("varslingskanal", "varslingskanal", Choice(Varslingskanal), True),
    )


@dataclass(frozen=True, kw_only=True)
class Feil(JsonObject):
    """innbyggerpost_dpi_feil_1_0.schema.json: a business error from the provider."""

    avsender: Avsender
    mottaker: Virksomhetmottaker
    tidspunkt: datetime
    feiltype: Feiltype
    detaljer: str | None = None
    _what: ClassVar = "feil"
    _fields: ClassVar = (
        *_KVITTERING_FIELDS,
        # schema: a string that is oneOf const KLIENT, const SERVER (= an enum)
        Field("feiltype", "feiltype", Choice(Feiltype), True),
        Field("detaljer", "detaljer", Text()),
    )


Body = Digital | Utskrift | Flyttet | Kvittering | VarslingfeiletKvittering | Feil
