"""The quick actions carry pictures (power off, power on, water, complaint), drawn inline by
halqa: a member who reads little finds the button; nothing is fetched from anywhere."""

from __future__ import annotations

import re


def test_quick_actions_have_inline_icons(client):
    html = client.get("/").text
    buttons = dict(re.findall(r'<button type="submit" name="state" value="(off|on)"[^>]*>(.*?)</button>', html, re.S))
    assert 'class="icon icon-power-off"' in buttons["off"] and 'class="icon icon-power-on"' in buttons["on"]
    for form, kind in (("/quick/water", "water"), ("/quick/grievance", "complaint")):
        body = html[html.index(f'action="{form}"'):]
        body = body[:body.index("</form>")]
        assert re.search(rf'<button type="submit" class="[^"]*act">\s*<svg class="icon icon-{kind}"', body), form
    icons = re.findall(r"<svg class=\"icon[^>]*>.*?</svg>", html, re.S)
    assert len(icons) >= 6
    for svg in icons:  # decorative (the words name the button), self-contained
        assert 'aria-hidden="true"' in svg and "href" not in svg and "<image" not in svg and "url(" not in svg
        assert re.search(r"<path d=\"M", svg)
