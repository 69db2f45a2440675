"""Messages carry absolute links under PUBLIC_URL, made the same inside and outside a request; the sober layout has
a footer with the one-click unsubscribe link when there is one."""

from __future__ import annotations

from typing import Any

from irritants.outbox.rendering import absolute_url, render_mail


def test_absolute_urls_follow_public_url_outside_any_request(make_app: Any) -> None:
    app = make_app(PUBLIC_URL="https://irritants.example.gouv.fr/base/")
    with app.app_context():
        assert absolute_url("intake.tracking", token="abc") == "https://irritants.example.gouv.fr/base/suivi/abc"
    assert (
        absolute_url("intake.tracking", app=app, token="a b", _anchor="desabonnement")
        == "https://irritants.example.gouv.fr/base/suivi/a%20b#desabonnement"
    )


def test_the_base_layout_has_the_service_and_the_unsubscribe_link(make_app: Any) -> None:
    app = make_app()
    text, html = render_mail("_base", app=app, unsubscribe_url="http://irritants.test/stop?a=1&b=2")
    assert "Ceci est un message automatique" in text and "Ceci est un message automatique" in html
    assert "Ne plus recevoir ces messages : http://irritants.test/stop?a=1&b=2" in text
    assert 'href="http://irritants.test/stop?a=1&amp;b=2"' in html
    assert "#000091" in html and "<img" not in html
    text, html = render_mail("_base", app=app)
    assert "Ne plus recevoir" not in text and "Ne plus recevoir" not in html
