"""The public sees the sections on the map and a section's readings against the classes."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_sections_map_and_section_page(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/ecology")
    expect(page.locator("#zone-map")).to_have_attribute("data-sections", "12")
    row = page.locator('tr[data-code="jinyushi"]')
    expect(row).to_contain_text("2025-08")
    expect(row.locator("td.num")).to_have_text("74")
    row.get_by_role("link", name="金鱼石").click()
    expect(page.get_by_role("heading", name="金鱼石")).to_be_visible()
    expect(page.locator("#streak")).to_have_text("74")
    chart = page.locator("#readings-chart")
    expect(chart).to_have_attribute("data-points", "160")  # 2 samples x 80 months
    assert chart.locator("svg path").count() > 5  # the line and the class bands
    page.get_by_role("link", name="总磷", exact=True).click()  # tp, named as readers know it
    expect(page.locator("#readings-chart")).to_have_attribute("data-points", "160")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename == "jinyushi-monthly.xlsx"
