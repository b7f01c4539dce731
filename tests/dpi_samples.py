"""Valid DPI business messages of every type, built with the project's own models.

Used as ``import dpi_samples`` by the DPI tests (``tests/`` is on ``sys.path`` under pytest).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

from peppol_dpi.dpi.bodies import (
    Adresse,
    Avsender,
    Digital,
    Epostvarsel,
    Feil,
    Feiltype,
    Fingeravtrykk,
    Flyttet,
    Kvittering,
    Personmottaker,
    Posttype,
    Retur,
    Returposthaandtering,
    Sikkerhetsnivaa,
    Smsvarsel,
    Utskrift,
    Utskriftstype,
    Varsler,
    VarslingfeiletKvittering,
    Varslingskanal,
    Virksomhetmottaker,
)
from peppol_dpi.dpi.identifiers import DpiProcess, MessageType
from peppol_dpi.dpi.message import BusinessMessage, Sbdh
from peppol_dpi.ids import ParticipantId

SENDER = ParticipantId.norwegian("991825827")
PROCESSOR = ParticipantId.norwegian("810969342")
DIGIPOST = ParticipantId.norwegian("984661185")
EBOKS = ParticipantId.norwegian("922020175")
PRINT = ParticipantId.norwegian("974761076")
CREATED = datetime(2026, 3, 16, 14, 16, 8, 903000, tzinfo=timezone(timedelta(hours=1)))
TOKEN = (
    "eyJraWQiOiJ0ZXN0IiwiYWxnIjoiUlMyNTYifQ.eyJzY29wZSI6ImRpZ2l0YWxwb3N0aW5uYnlnZ2VyOnNlbmQifQ.c2ln"
)
FINGERPRINT = Fingeravtrykk.of(b"the encrypted package")
MESSAGE_ID = uuid.UUID("4c96fb25-54b0-4560-a954-afdeed10077b")
CONVERSATION_ID = uuid.UUID("b63b72a3-ec7a-4d70-94f1-699ef899864f")


def avsender() -> Avsender:
    return Avsender(virksomhetsidentifikator=SENDER, avsenderidentifikator="991825827:avsenderid")


def header(message_type: MessageType, *, process: DpiProcess | None = None) -> Sbdh:
    receipt = message_type.is_receipt
    return Sbdh.create(
        message_type=message_type,
        sender=EBOKS if receipt else SENDER,
        receiver=SENDER if receipt else EBOKS,
        message_id=uuid.uuid4() if receipt else MESSAGE_ID,
        conversation_id=CONVERSATION_ID,
        created=CREATED,
        process=process,
        expected_response=None if receipt else CREATED + timedelta(days=1),
    )


def digital() -> Digital:
    return Digital(
        avsender=avsender(),
        mottaker=Personmottaker(postkasseadresse="ola.nordmann#9YDT"),
        dokumentpakkefingeravtrykk=FINGERPRINT,
        maskinportentoken=TOKEN,
        sikkerhetsnivaa=Sikkerhetsnivaa.NIVAA_3,
        virkningsdato=date(2026, 3, 16),
        virkningstidspunkt=CREATED,
        aapningskvittering=True,
        ikkesensitivtittel="Vedtak om barnehageplass",
        spraak="no",
        varsler=Varsler(
            epostvarsel=Epostvarsel(
                epostadresse="ola@example.no", varslingstekst="Du har post", repetisjoner=(0, 7)
            ),
            smsvarsel=Smsvarsel(
                mobiltelefonnummer="+47 900 00 000", varslingstekst="Du har post", repetisjoner=(0,)
            ),
        ),
    )


def norwegian_address(name: str = "Ola Nordmann") -> Adresse:
    return Adresse(navn=name, adresselinje1="Liksomveien 22", postnummer="1234", poststed="Nordby")


def utskrift() -> Utskrift:
    return Utskrift(
        avsender=avsender(),
        mottaker=Adresse(navn="Kari Nordmann", adresselinje1="Rue de Rivoli 1", landkode="FR"),
        dokumentpakkefingeravtrykk=FINGERPRINT,
        maskinportentoken=TOKEN,
        utskriftstype=Utskriftstype.FARGE,
        retur=Retur(
            mottaker=norwegian_address("Helse Foretak HF"),
            returposthaandtering=Returposthaandtering.MAKULERING_MED_MELDING,
        ),
        posttype=Posttype.A,
    )


def flyttet() -> Flyttet:
    return Flyttet(
        avsender=avsender(),
        mottaker=Personmottaker(postkasseadresse="0000487204"),
        maskinportentoken=TOKEN,
        tidspunkt=CREATED,
        dokumentpakkefingeravtrykk=FINGERPRINT,
        mottakstidspunkt=date(2026, 3, 16),
        aapnet=False,
        sikkerhetsnivaa=Sikkerhetsnivaa.NIVAA_4,
        ikkesensitivtittel="Flyttet post",
        spraak="nn",
    )


def _receipt_parts() -> dict[str, object]:
    return {
        "avsender": Avsender(virksomhetsidentifikator=EBOKS),
        "mottaker": Virksomhetmottaker(
            virksomhetsidentifikator=SENDER, motakeridentifikator="991825827:avsenderid"
        ),
        "tidspunkt": datetime(2026, 3, 16, 14, 0, 43, 907000, tzinfo=UTC),
    }


def message(message_type: MessageType) -> BusinessMessage:
    """A valid message of ``message_type`` (receipts in the digital or utskrift process)."""
    body: object
    process = None
    if message_type is MessageType.DIGITAL:
        body = digital()
    elif message_type is MessageType.UTSKRIFT:
        body = utskrift()
    elif message_type is MessageType.FLYTTET:
        body = flyttet()
    elif message_type is MessageType.VARSLINGFEILETKVITTERING:
        body = VarslingfeiletKvittering(
            **_receipt_parts(),  # type: ignore[arg-type]
            varslingskanal=Varslingskanal.SMS,
            beskrivelse="Ugyldig mobilnummer",
        )
        process = DpiProcess.DIGITAL
    elif message_type is MessageType.FEIL:
        body = Feil(**_receipt_parts(), feiltype=Feiltype.KLIENT, detaljer="Ukjent mottaker")  # type: ignore[arg-type]
        process = DpiProcess.UTSKRIFT
    else:
        body = Kvittering(**_receipt_parts())  # type: ignore[arg-type]
        process = next(p for p in DpiProcess if message_type in p.message_types)
    return BusinessMessage(header=header(message_type, process=process), body=body)  # type: ignore[arg-type]
