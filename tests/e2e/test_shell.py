"""A person's first visit: log in, switch language, open the map, see the 24 units."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.helpers import PASSWORD
from tests.places.test_places import ZONE


def test_log_in_switch_language_and_see_the_24_units_on_the_map(
    live_server: str, page: Page
) -> None:
    page.goto(f"{live_server}/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.get_by_label("用户名").fill("viewer")
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator(".who")).to_have_text("访客（只读）")

    page.locator("a[data-lang=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Log out")).to_have_count(0)  # it is a button
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.get_by_role("link", name="Zone map").first.click()
    expect(page.get_by_role("heading", name="Zone map")).to_be_visible()
    chart = page.locator("#zone-map")
    expect(chart).to_have_attribute("data-drawn", "24")
    labels = chart.locator("svg text")
    expect(labels.first).to_be_visible()
    drawn = set(labels.all_text_contents())
    assert set(ZONE.values()) <= drawn
    # The units are real shapes: one path per unit at least.
    assert chart.locator("svg path").count() >= 24

    page.locator("a[data-lang=zh_CN]").click()
    expect(page.get_by_role("heading", name="示范区地图")).to_be_visible()


def test_wrong_password_shows_a_clear_refusal(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/login?lang=zh_CN")
    page.get_by_label("用户名").fill("coop")
    page.get_by_label("密码").fill("not-the-password")
    page.locator("#login-form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误。")
