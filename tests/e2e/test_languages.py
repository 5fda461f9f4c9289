"""End to end in Catalan, Galician and Basque: real rasa, actions and web processes. A shopper asks where their
parcel is, whether they are owed compensation, claims it and asks for a person, each answered in their language
with its dates and money; on WhatsApp they opt out with their language's word; and a shopper who asks for
another language is switched, the notifier's language kept for their number."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from parcels.storage.db import session_scope
from parcels.storage.models import Customer, Shipment
from templates.renderer import render_source
from tests.factories import event_record, shipment_record
from tests.processes import Stack

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Shopper:
    """What a shopper writes in one language, and what the answers must say."""

    language: str
    where: str  # "where is my parcel {number}?"
    promised: str  # the tracking answer's "promised date" label
    owed_question: str  # "am I owed anything for {number}?"
    broken: str  # the promise's verdict
    claim: str
    postal_code_asked: str
    confirm_asked: str
    yes: str
    claimed: str
    person: str
    handed_over: str
    opt_out: str
    opted_out: str


SHOPPERS = {
    "ca": Shopper(
        "ca", "hola, on és el meu paquet {number}?", "Data promesa:",
        "em correspon alguna compensació pel retard del paquet {number}?", "Promesa no complerta",
        "vull reclamar-la", "codi postal", "Ho confirmes?", "sí", "La teva reclamació C-",
        "vull parlar amb una persona, si us plau", "atenció al client", "BAIXA", "no t'enviarem més avisos",
    ),
    "gl": Shopper(
        "gl", "ola, onde está o meu paquete {number}?", "Data prometida:",
        "correspóndeme algunha compensación polo atraso do paquete {number}?", "Promesa incumprida",
        "quero reclamala", "código postal", "Confírmalo?", "si", "A túa reclamación C-",
        "quero falar cunha persoa, por favor", "atención ao cliente", "BAIXA", "non che enviaremos máis avisos",
    ),
    "eu": Shopper(
        "eu", "kaixo, non dago nire paketea {number}?", "Agindutako data:",
        "konpentsaziorik dagokit {number} paketearen atzerapenagatik?", "Ez dugu promesa bete",
        "erreklamatu nahi dut", "posta-kodea", "Baieztatzen duzu?", "bai", "erregistratu dugu (C-",
        "pertsona batekin hitz egin nahi dut, mesedez", "arreta-taldeko", "GELDITU",
        "ez dizugu zure bidalketen abisu gehiagorik bidaliko",
    ),
}  # fmt: skip
NUMBERS = {"ca": ("LP00099100000001", "LP00099100000002"), "gl": ("LP00099100000003", "LP00099100000004"),
           "eu": ("LP00099100000005", "LP00099100000006")}  # fmt: skip
POSTAL_CODES = {"ca": "08013", "gl": "15001", "eu": "48001"}
PHONES = {"ca": "+34612990001", "gl": "+34612990002", "eu": "+34612990003"}
LOCAL_MONEY = re.compile(r"\d+,\d{2}\xa0€")
SWITCHER = "+34612990009"
SWITCHERS = "LP00099100000009"


@pytest.fixture(scope="module")
def loaded(stack: Stack) -> Stack:
    now = datetime.now(UTC)
    headers = {"X-Api-Key": stack.api_key}
    shipments, events = [], []
    lately, long_ago = (now - timedelta(days=3)).isoformat(), (now - timedelta(days=40)).isoformat()
    for lang, (on_its_way, late) in NUMBERS.items():
        shipments += [
            shipment_record(on_its_way, order_ref=f"LANG-{on_its_way}", customer_locale=lang, paid_at=lately),
            shipment_record(
                late, order_ref=f"LANG-{late}", product="STANDARD", destination_postal_code=POSTAL_CODES[lang],
                customer_locale=lang, customer_phone=PHONES[lang], paid_at=long_ago,
            ),
        ]  # fmt: skip
        events += [
            event_record(f"lang-{on_its_way}", "EMC", (now - timedelta(days=1)).isoformat(), on_its_way),
            event_record(f"lang-{late}", "GTMS_SIGNED", (now - timedelta(days=3)).isoformat(), late),
        ]
    shipments.append(
        shipment_record(
            SWITCHERS, order_ref="LANG-SWITCH", customer_phone=SWITCHER, paid_at=(now - timedelta(days=3)).isoformat()
        )
    )
    response = requests.post(f"{stack.web_url}/api/shipments", json=shipments, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    response = requests.post(f"{stack.web_url}/api/tracking/events", json=events, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return stack


def promised_date(number: str) -> date:
    with session_scope() as session:
        return session.scalars(select(Shipment.promised_date).where(Shipment.tracking_number == number)).one()


def local(day: date, language: str) -> str:
    return render_source("{{ day | date }}", "any", "web", language, {"day": day})


def twiml(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [message.text or "" for message in ET.fromstring(response.content).iter("Message")]


@pytest.mark.parametrize("lang", SHOPPERS)
def test_a_shopper_is_answered_in_their_language_from_question_to_claim_and_person(loaded: Stack, lang: str) -> None:
    says, (on_its_way, late) = SHOPPERS[lang], NUMBERS[lang]
    shopper = f"lang-{lang}-{uuid.uuid4().hex[:8]}"
    [where] = loaded.chat(shopper, says.where.format(number=on_its_way))
    assert on_its_way in where and says.promised in where
    assert local(promised_date(on_its_way), lang) in where  # "9 de desembre de 2026", "2026ko abenduaren 9a"

    [owed] = loaded.chat(shopper, says.owed_question.format(number=late))
    assert says.broken in owed, owed
    assert LOCAL_MONEY.search(owed), owed  # "5,00 €": the comma and the sign after, in all three
    assert local(promised_date(late), lang) in owed
    [asked] = loaded.chat(shopper, says.claim)
    assert says.postal_code_asked in asked
    [confirm] = loaded.chat(shopper, POSTAL_CODES[lang])
    assert says.confirm_asked in confirm and late in confirm
    [claimed] = loaded.chat(shopper, says.yes)
    assert says.claimed in claimed

    handed = loaded.chat(shopper, says.person)
    assert any(says.handed_over in text for text in handed), handed
    assert loaded.tracker(f"rest:{shopper}")["slots"]["language"] == lang


@pytest.mark.parametrize("lang", SHOPPERS)
def test_on_whatsapp_the_languages_own_word_opts_out_and_is_confirmed_in_it(loaded: Stack, lang: str) -> None:
    says = SHOPPERS[lang]
    sender = f"whatsapp:{PHONES[lang]}"
    [where] = twiml(loaded.whatsapp(sender, says.where.format(number=NUMBERS[lang][0])))
    assert says.promised in where
    [confirmed] = twiml(loaded.whatsapp(sender, says.opt_out))
    assert says.opted_out in confirmed  # "BAIXA" is Catalan and Galician: the conversation's language decides


def test_a_shopper_who_asks_for_a_language_is_switched_and_the_notifier_keeps_it(loaded: Stack) -> None:
    sender = f"whatsapp:{SWITCHER}"
    [where] = twiml(loaded.whatsapp(sender, f"hola, ¿dónde está mi paquete {SWITCHERS}?"))
    assert "Fecha prometida" in where or "fecha prometida" in where
    [switched] = twiml(loaded.whatsapp(sender, "euskaraz, mesedez"))
    assert "euskaraz" in switched
    [again] = twiml(loaded.whatsapp(sender, SWITCHERS))
    assert "Agindutako data:" in again and local(promised_date(SWITCHERS), "eu") in again
    with session_scope() as session:
        assert session.scalars(select(Customer.locale).where(Customer.phone == SWITCHER)).one() == "eu"

    shopper = f"lang-switch-{uuid.uuid4().hex[:8]}"
    loaded.chat(shopper, "hola")
    [switched] = loaded.chat(shopper, "en català, si us plau")
    assert "en català" in switched
    assert loaded.tracker(f"rest:{shopper}")["slots"]["language"] == "ca"
