"""The leading group's dashboard: the map, a county's panel, an indicator's records."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def test_open_the_dashboard_click_a_county_and_follow_an_indicator(
    live_server: str, page: Page
) -> None:
    page.goto(f"{live_server}/dashboard?lang=en")
    expect(page.get_by_role("heading", name="Cooperation dashboard")).to_be_visible()
    chart = page.locator("#dashboard-map")
    expect(chart).to_have_attribute("data-drawn", "24")
    expect(chart).to_have_attribute("data-ready", "1")
    for bar in ("#chart-field", "#chart-county", "#chart-year"):
        expect(page.locator(bar)).to_have_attribute("data-drawn", re.compile(r"^[1-9]"))
    # Not logged in: no task lists.
    expect(page.locator("#overdue-tasks")).to_have_count(0)

    # Click 醴陵市 on the map: its panel lists its agreements and projects.
    page.locator("#dashboard-map svg text", has_text="醴陵市").first.click()
    panel = page.locator("#unit-panel")
    expect(panel.locator("#unit-name")).to_contain_text("醴陵市")
    agreements = panel.locator("a[data-figure=agreements]")
    expect(agreements).to_have_attribute("href", "/cooperation/agreements?county=430281")
    expect(panel).to_contain_text("醴陵湘东共建园区技术研发中心")
    # The list under the map does the same for keyboard users.
    page.locator("button[data-unit='360313']").click()
    expect(panel.locator("#unit-name")).to_contain_text("湘东区")

    # The agreements-in-force card links to exactly the records it counts.
    card = page.locator("a[data-indicator=agreements_in_force]")
    value = card.get_attribute("data-value")
    assert value and int(value.replace(",", "")) > 100
    card.click()
    expect(page).to_have_url(re.compile(r"/cooperation/agreements\?in_force_at=2025-09-30"))
    expect(page.locator("#result-count")).to_have_attribute("data-count", value.replace(",", ""))
    # One page holds 200 (the 跨省通办 demo's agreements make more than that in force).
    assert page.locator("#agreements tbody tr").count() == min(int(value.replace(",", "")), 200)

    # The agreements-signed card shows more than 200, as in the article.
    page.goto(f"{live_server}/dashboard?lang=zh_CN")
    signed = page.locator("a[data-indicator=agreements_signed]")
    expect(signed).to_contain_text("项")
    assert int((signed.get_attribute("data-value") or "0").replace(",", "")) > 200
