"""Take the screenshot of the managers' dashboard shown in the README (docs/dashboard.png), with the demo data.

    ./.venv/bin/python scripts/screenshot_dashboard.py [--reports 2000] [--output docs/dashboard.png]

Builds a fresh SQLite database in a temporary folder with ``irritants setup`` (migrations, reference data, demo
reports clustered with TF-IDF, demo agents, sprints, fixes and answers), serves the app on a free local port, signs a
manager in and saves the whole page as seen by headless Debian Chromium (Playwright, never a browser download).
"""

from __future__ import annotations

import argparse
import secrets
import socket
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "dashboard.png")
    parser.add_argument("--width", type=int, default=1280)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from irritants import create_app
    from irritants.auth.models import User
    from irritants.auth.passwords import hash_password
    from irritants.db import get_db

    folder = Path(tempfile.mkdtemp(prefix="irritants-capture-"))
    port = _free_port()
    app = create_app(
        {
            "ENV": "development",
            "DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite3'}",
            "SECRET_KEY": secrets.token_hex(32),
            "CLUSTERING_ENCODER": "tfidf",
            "PRELOAD_ENCODER": False,
            "JOBS_MODE": "inline",
            "PUBLIC_URL": f"http://127.0.0.1:{port}",
        }
    )
    result = app.test_cli_runner().invoke(args=["setup", "--demo-reports", str(args.reports)])
    if result.exit_code:
        raise SystemExit(result.output)
    email, password = "pilotage.capture@beta.gouv.fr", secrets.token_urlsafe(18)
    with app.app_context(), get_db(app).session_scope() as session:
        session.add(User(email=email, name="Pilotage", roles=["manager"], password_hash=hash_password(password)))
        session.commit()

    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(locale="fr-FR", viewport={"width": args.width, "height": 900})
            base = f"http://127.0.0.1:{port}"
            page.goto(f"{base}/agents/connexion")
            page.fill("#id_email", email)
            page.fill("#id_password", password)
            page.click("button:has-text('Se connecter')")
            page.wait_for_load_state()
            page.goto(f"{base}/agents/tableau-de-bord")
            args.output.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.output), full_page=True)
            browser.close()
    finally:
        server.shutdown()
    print(f"{args.output} ({args.output.stat().st_size // 1024} Kio)")


if __name__ == "__main__":
    main()
