"""Writes ``tickets-year.csv`` and ``outages.csv`` beside this file: a year of made-up but
plausible tickets across the shipped contracts (Dec 2025 - Nov 2026), and the hosted
services' outages. Deterministic (a fixed seed), so the committed files are reproducible:
``python config/examples/generate.py``. ``triage up --demo`` loads the last two quarters of
them, moved in whole weeks so they end where "now" is (``web/cli/demo.py``).
"""

from __future__ import annotations

import csv
import random
from datetime import date, datetime, timedelta
from pathlib import Path

from sla.local_time import OSLO

HERE = Path(__file__).parent
FIRST, LAST = date(2025, 12, 1), date(2026, 11, 29)

# contract -> (tickets per week, share critical, subjects)
CONTRACTS: dict[str, tuple[float, float, tuple[str, ...]]] = {
    "nettsoft-mbn": (
        2.0,
        0.25,
        (
            "Sentralbordet svarer ikke",
            "Mobilsvar virker ikke",
            "Svargruppe ringer ikke ut",
            "Hovednummeret er nede",
            "Kan ikke viderekoble mobil",
            "Ny ansatt trenger MBN-abonnement",
        ),
    ),
    "nettsoft-unifon-bn": (0.5, 0.2, ("Unifon bedriftsnett faller ut", "Feil i Unifon-svargruppe")),
    "nettsoft-server": (
        1.0,
        0.3,
        (
            "Filserveren er utilgjengelig",
            "Backup feilet i natt",
            "Disken på fillageret er full",
            "Skriverserveren henger",
        ),
    ),
    "nettsoft-ms365-bruker": (
        2.5,
        0.1,
        (
            "Får ikke synkronisert kalender på mobil",
            "Glemt passord til Office 365",
            "Outlook starter ikke",
            "Ny bruker trenger lisens",
            "Delt postkasse mangler",
        ),
    ),
    "nettsoft-ms365-bedrift": (
        0.6,
        0.3,
        ("E-post kommer ikke frem til noen", "SharePoint er nede"),
    ),
    "nettsoft-teams": (0.8, 0.2, ("Teams-møter faller ut", "Får ikke delt skjerm i Teams")),
    "nettsoft-network": (
        0.7,
        0.35,
        (
            "Ingen får logget på nettverket",
            "Trådløst nett nede i 2. etasje",
            "VPN kobler ned",
        ),
    ),
    "nettsoft-vps-access": (
        0.4,
        0.6,
        ("Adgangskontroll nede, dørene låser ikke opp", "Kortleser svarer ikke"),
    ),
    "nettsoft-vps-terminal": (
        0.6,
        0.5,
        ("Terminalserveren svarer ikke", "Treg pålogging på terminalserver"),
    ),
    "nettsoft-calendar-push": (0.3, 0.4, ("Kalenderpush stoppet", "Møterom oppdateres ikke")),
    "nettsoft-tmpc": (0.3, 0.4, ("TMPC-tjenesten er nede", "Feilmelding i TMPC")),
    "pindena": (
        1.2,
        0.1,
        (
            "Påmeldingsskjema viser feil pris",
            "Får ikke eksportert deltakerliste",
            "Betaling feiler i påmelding",
            "Skjema lagrer ikke",
        ),
    ),
    "sensio-velferd": (0.8, 0.15, ("Spørsmål om ny bruker i Sensio", "Alarm vises ikke i Sensio")),
}
CHANNELS = ("email", "email", "email", "phone", "phone", "chat")
HOSTED = ("nettsoft-vps-access", "nettsoft-vps-terminal", "nettsoft-calendar-push", "nettsoft-tmpc")


def _received(rng: random.Random, day: date) -> datetime:
    if day.weekday() < 5 and rng.random() < 0.85:
        hour = rng.choice((8, 8, 9, 9, 9, 10, 10, 11, 12, 13, 13, 14, 14, 15))
    else:
        hour = rng.choice((6, 7, 17, 18, 19, 20, 21, 22))
    return datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=OSLO)


def _responded(rng: random.Random, received: datetime, critical: bool) -> datetime | None:
    roll = rng.random()
    if roll < 0.07:  # late: hours or days after the deadline
        return received + timedelta(hours=rng.choice((3, 5, 8, 26, 50)), minutes=rng.randrange(60))
    if received.weekday() >= 5 or received.hour >= 16 or received.hour < 8:
        # out of hours: answered when the next office day opens (some by on-call at once)
        if critical and rng.random() < 0.5:
            return received + timedelta(minutes=rng.randrange(5, 14))
        days = 1
        nxt = received + timedelta(days=days)
        while nxt.weekday() >= 5:
            nxt += timedelta(days=1)
        return nxt.replace(hour=8, minute=rng.randrange(5, 50))
    return received + timedelta(minutes=rng.randrange(4, 50 if critical else 55))


def tickets(rng: random.Random) -> list[list[str]]:
    rows: list[list[str]] = []
    day = FIRST
    while day <= LAST:
        for contract, (per_week, critical_share, subjects) in CONTRACTS.items():
            if rng.random() >= per_week / 7:
                continue
            received = _received(rng, day)
            critical = rng.random() < critical_share
            responded = _responded(rng, received, critical)
            subject = rng.choice(subjects)
            rows.append([
                "", contract, received.isoformat(timespec="minutes"),
                responded.isoformat(timespec="minutes") if responded else "",
                "critical" if critical else "non-critical", rng.choice(CHANNELS), subject,
                f"{subject}. Meldt av {rng.choice(('Kari', 'Ola', 'Per', 'Siri', 'Nils', 'Anne'))}"
                f" på {rng.choice(('kontoret i Bergen', 'hovedkontoret', 'lageret', 'resepsjonen'))}.",
            ])  # fmt: skip
        day += timedelta(days=1)
    rows.sort(key=lambda r: r[2])
    # a few of the last weeks' tickets were never answered: they show as breached
    for row in rows[-40::13]:
        row[3] = ""
    for n, row in enumerate(rows, 1):
        row[0] = f"ex-{n:04d}"
    return rows


def outages(rng: random.Random) -> list[list[str]]:
    rows = []
    for month in range(12):
        first = date(2025 + (11 + month) // 12, (11 + month) % 12 + 1, 1)
        for contract in HOSTED:
            if rng.random() < 0.55:
                continue
            day = first + timedelta(days=rng.randrange(27))
            start = datetime(
                day.year, day.month, day.day, rng.choice((7, 9, 10, 13, 14)), 0, tzinfo=OSLO
            )
            end = start + timedelta(minutes=rng.choice((30, 45, 90, 180, 240, 420)))
            excluded = rng.random() < 0.2
            rows.append([
                contract, start.isoformat(timespec="minutes"), end.isoformat(timespec="minutes"),
                str(rng.choice((3, 8, 12, 25, 40))),
                "feil i kundens brannmur" if excluded else rng.choice(("strømbrudd i datasenter", "feil etter oppdatering", "nettverksfeil hos leverandør")),
                "yes" if excluded else "no",
                "kundens eget utstyr (avtalens unntak)" if excluded else "",
            ])  # fmt: skip
    return sorted(rows, key=lambda r: r[1])


def main() -> None:
    rng = random.Random(17)
    with (HERE / "tickets-year.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["external_id", "contract", "received_at", "responded_at", "severity", "channel",
             "subject", "body"]
        )  # fmt: skip
        writer.writerows(tickets(rng))
    with (HERE / "outages.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "contract",
                "starts_at",
                "ends_at",
                "affected_users",
                "cause",
                "excluded",
                "exclusion_reason",
            ]
        )
        writer.writerows(outages(rng))


if __name__ == "__main__":
    main()
