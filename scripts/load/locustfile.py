"""Load test of irritants (locust): citizens, product owners, squads and managers on one running service.

Run by ``scripts/load_test.sh`` (headless, bounded in time, loopback only), or by hand against a server of your own:

    .venv/bin/locust -f scripts/load/locustfile.py --headless -u 100 -r 20 -t 60s -H http://127.0.0.1:5000

The mix, each simulated person waiting 1 to 3 s between two actions:

- citizens who report (``Signalant``): the form (its CSRF and form tokens), the similar-irritants search the form's
  script calls as they type (``/api/v1/similar``, a few times per text, on longer and longer beginnings), the
  submission, its confirmation, then now and then their own tracking page;
- citizens who read (``Lecteur``): the public list of irritants, an irritant's page, the roadmap, and the tracking
  pages of reports sent during the run (a link kept from a mail);
- product owners browsing the back-office backlog (pages, sorts, an irritant's page), signed in;
- squad members moving their board's items (« Passer à En cours », « Marquer fait »…, with CSRF), signed in;
- managers loading the dashboard over a few periods and administrations, signed in.

Every simulated person comes from an address of its own, sent in ``X-Forwarded-For`` (the server trusts one proxy:
``IRRITANTS_PROXY_FIX_COUNT=1``), as a real audience behind a reverse proxy would: the per-address rate limits stay
on and count per person, as in production. Agents sign in with the demo accounts that ``irritants setup`` writes
(``IRRITANTS_LOAD_ACCOUNTS``, default ``instance/comptes-demo.txt``).

Request names are the kinds the report groups figures by (``[id]``, ``[jeton]``: any value).
"""

from __future__ import annotations

import html
import os
import random
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from locust import FastHttpUser, between, events, task

ACCOUNTS_FILE = Path(
    os.environ.get("IRRITANTS_LOAD_ACCOUNTS", Path(__file__).resolve().parents[2] / "instance" / "comptes-demo.txt")
)
THINK = between(1, 3)

# What citizens write: situations met in French public services (situations.txt), each with its administration,
# and durations and endings that vary the text (no two reports need be the same, as in life).
SITUATIONS: tuple[tuple[str, str], ...] = tuple(
    (administration.strip(), text.strip())
    for administration, _, text in (
        line.partition("|")
        for line in (Path(__file__).parent / "situations.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
)
DUREES = (
    "depuis trois semaines",
    "depuis deux mois",
    "depuis le mois de septembre",
    "depuis plus de six mois",
    "depuis le début de l'année",
    "depuis quinze jours",
)
SUITES = (
    "",
    " J'ai appelé plusieurs fois, on me répond que le dossier est complet.",
    " Je suis passé au guichet, on m'a dit de tout renvoyer en ligne.",
    " Cette situation me met en grande difficulté pour payer mon loyer.",
    " La conseillère France Services n'a pas réussi non plus à débloquer la situation.",
    " Le message d'erreur ne dit pas ce qu'il faut corriger.",
)
TERRITORIES = ("75", "13", "59", "69", "33", "31", "44", "67", "93", "2A", "971", "974", "29", "63", "87")
CHANNELS = ("en_ligne", "telephone", "guichet", "courrier", "france_services", "email")
SEVERITIES = ("gene", "perte_de_temps", "blocage", "rupture_de_droits")
MIN_SEARCH_CHARS = 30  # the form's script searches once the description has this many characters (static/js/similar.js)

# Shared by every simulated person of this run: what the public pages list, and the tracking links of the reports
# sent so far (a citizen comes back to theirs; a reader stands for one who kept the link of a mail).
IRRITANT_IDS: list[int] = []
TRACKING_TOKENS: list[str] = []
CONFLICTS = {"count": 0}

_INPUT = re.compile(r'<input[^>]*name="(?P<name>csrf_token|form_token)"[^>]*value="(?P<value>[^"]*)"')
_IRRITANT_LINK = re.compile(r'href="/irritants/(\d+)"')
_TRACKING_LINK = re.compile(r"/suivi/([A-Za-z0-9_\-]{16,})")
_STATE_FORM = re.compile(
    r'<form method="post" action="(?P<action>/agents/equipes/[^/"]+/elements/\d+/etat)">\s*'
    r'<input type="hidden" name="csrf_token" value="(?P<csrf>[^"]*)">\s*'
    r'<input type="hidden" name="expected_version" value="(?P<version>\d+)">\s*'
    r'<input type="hidden" name="state" value="(?P<state>[a-z_]+)">'
)
_BACKLOG_LINK = re.compile(r'href="/agents/irritants/(\d+)"')


def a_report_text() -> tuple[str, str]:
    """One citizen's description and its administration."""
    administration, beginning = random.choice(SITUATIONS)
    return administration, beginning.format(duree=random.choice(DUREES)) + random.choice(SUITES)


def hidden_inputs(page: str) -> dict[str, str]:
    """The CSRF and form tokens of a page's form."""
    return {m["name"]: html.unescape(m["value"]) for m in _INPUT.finditer(page)}


def demo_accounts(path: Path = ACCOUNTS_FILE) -> dict[str, tuple[str, str]]:
    """The demo agents' addresses and passwords by role, from the file ``irritants setup`` writes."""
    accounts = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.search(r"(\S+@\S+)\s+(\S+)\s*$", line)
            if match:
                email, password = match.groups()
                accounts[email.split("@")[0]] = (email, password)
    return accounts


def remember_irritants(page: str) -> None:
    for found in _IRRITANT_LINK.findall(page):
        number = int(found)
        if number not in IRRITANT_IDS:
            IRRITANT_IDS.append(number)


class Person(FastHttpUser):
    """One person on one browser: a cookie jar, an address of its own, 1 to 3 s between two actions."""

    abstract = True
    wait_time = THINK

    def on_start(self) -> None:
        self.address = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"

    def headers(self, **extra: str) -> dict[str, str]:
        return {"X-Forwarded-For": self.address, **extra}

    def get(self, url: str, name: str, **kwargs: Any) -> Any:
        return self.client.get(url, name=name, headers=self.headers(), allow_redirects=False, **kwargs)

    def post_form(self, url: str, fields: dict[str, str], name: str, **kwargs: Any) -> Any:
        headers = self.headers(**{"Content-Type": "application/x-www-form-urlencoded"})
        return self.client.post(
            url, data=urlencode(fields), name=name, headers=headers, allow_redirects=False, **kwargs
        )

    def think(self) -> None:
        time.sleep(THINK(self))


class Reporter(Person):
    """A citizen who reports what blocks them, typing while the form suggests similar irritants."""

    weight = 5

    @task(3)
    def report(self) -> None:
        form = self.get("/", "GET / (formulaire)")
        tokens = hidden_inputs(form.text or "")
        if "csrf_token" not in tokens:
            return
        administration, text = a_report_text()
        # The form's script asks after each pause in typing: a few longer and longer beginnings of the text.
        cuts = sorted({max(MIN_SEARCH_CHARS, len(text) * k // 4) for k in (2, 3, 4)})
        for cut in cuts:
            self.think()
            query = urlencode({"text": text[:cut], "administration": administration})
            self.get(f"/api/v1/similar?{query}", "GET /api/v1/similar (en tapant)")
        self.think()
        fields = {
            **tokens,
            "description": text,
            "administration": administration,
            "procedure": "",
            "territory": random.choice(TERRITORIES),
            "channel": random.choice(CHANNELS),
            "severity": random.choice(SEVERITIES),
            "occurred_on": "",
            "email": "",
            "site_web": "",
        }
        if random.random() < 0.3:  # some ask to be kept informed
            fields.update(email=f"usager.{random.randint(1, 10**9)}@exemple.fr", contact_consent="on")
        with self.post_form("/", fields, "POST / (envoi)", catch_response=True) as sent:
            if sent.status_code != 303:
                sent.failure(f"envoi refusé : {sent.status_code}")
                return
        confirmation = self.get("/confirmation", "GET /confirmation")
        found = _TRACKING_LINK.search(confirmation.text or "")
        if found:
            TRACKING_TOKENS.append(found.group(1))
            self.own_token = found.group(1)

    @task(1)
    def follow_up(self) -> None:
        token = getattr(self, "own_token", None)
        if token:
            self.get(f"/suivi/{token}", "GET /suivi/[jeton]")


class Reader(Person):
    """A citizen who reads: the public irritants, one of them, the roadmap, a tracking page kept from a mail."""

    weight = 12

    @task(4)
    def list_irritants(self) -> None:
        page = random.choice(("", "", "?page=2", "?sort=people", "?administration=caf", "?q=rendez-vous"))
        response = self.get(f"/irritants{page}", "GET /irritants (liste)")
        remember_irritants(response.text or "")

    @task(6)
    def read_irritant(self) -> None:
        if IRRITANT_IDS:
            self.get(f"/irritants/{random.choice(IRRITANT_IDS)}", "GET /irritants/[id]")

    @task(1)
    def roadmap(self) -> None:
        self.get("/irritants/feuille-de-route", "GET /irritants/feuille-de-route")

    @task(2)
    def tracking(self) -> None:
        if TRACKING_TOKENS:
            self.get(f"/suivi/{random.choice(TRACKING_TOKENS)}", "GET /suivi/[jeton]")


class Agent(Person):
    """An agent signed in with the password of a demo account (``role``: the part of its address before @)."""

    abstract = True
    role = ""

    def on_start(self) -> None:
        super().on_start()
        email, password = demo_accounts()[self.role]
        page = self.get("/agents/connexion", "GET /agents/connexion")
        fields = {**hidden_inputs(page.text or ""), "email": email, "password": password}
        with self.post_form("/agents/connexion", fields, "POST /agents/connexion", catch_response=True) as signed:
            if signed.status_code != 303:
                signed.failure(f"connexion refusée : {signed.status_code}")


class ProductOwner(Agent):
    """A product owner going through the ranked backlog of irritants and opening some."""

    weight = 1
    role = "responsable"

    @task(3)
    def backlog(self) -> None:
        query = random.choice(("", "", "?page=2", "?sort=-size", "?status=new", "?administration=caf"))
        page = self.get(f"/agents/irritants{query}", "GET /agents/irritants (backlog)")
        self.ids = [int(i) for i in _BACKLOG_LINK.findall(page.text or "")] or getattr(self, "ids", [])

    @task(2)
    def irritant(self) -> None:
        if getattr(self, "ids", None):
            self.get(f"/agents/irritants/{random.choice(self.ids)}", "GET /agents/irritants/[id]")


class SquadMember(Agent):
    """A squad member on their board, moving an item along (each move is a CSRF form with the version seen)."""

    weight = 1
    role = "equipe"

    def on_start(self) -> None:
        super().on_start()
        team = self.get("/agents/mon-equipe", "GET /agents/mon-equipe")
        self.board = team.headers.get("Location", "/agents/mon-equipe")
        self.board = "/" + self.board.split("/", 3)[3] if self.board.startswith("http") else self.board

    @task(3)
    def look(self) -> None:
        self.get(self.board, "GET /agents/equipes/[slug]")

    @task(2)
    def move(self) -> None:
        board = self.get(self.board, "GET /agents/equipes/[slug]")
        forms = list(_STATE_FORM.finditer(board.text or ""))
        if not forms:
            return
        self.think()
        chosen = random.choice(forms)
        fields = {
            "csrf_token": html.unescape(chosen["csrf"]),
            "expected_version": chosen["version"],
            "state": chosen["state"],
        }
        name = "POST /agents/equipes/[slug]/elements/[id]/etat"
        with self.post_form(chosen["action"], fields, name, catch_response=True) as moved:
            # Two people moving the same card: the second is told it changed meanwhile (the app's answer, 409).
            if moved.status_code == 409:
                CONFLICTS["count"] += 1
                moved.success()
            elif moved.status_code != 303:
                moved.failure(f"déplacement refusé : {moved.status_code}")


class Manager(Agent):
    """A manager loading the dashboard over a few periods and administrations."""

    weight = 1
    role = "pilotage"

    @task
    def dashboard(self) -> None:
        query = random.choice(("", "", "?administration=caf", "?administration=ants", "?channel=telephone"))
        self.get(f"/agents/tableau-de-bord{query}", "GET /agents/tableau-de-bord")


@events.test_stop.add_listener
def _conflicts(**_kwargs: Any) -> None:
    print(f"Conflits de version (409, attendus entre deux membres d'une équipe) : {CONFLICTS['count']}")
