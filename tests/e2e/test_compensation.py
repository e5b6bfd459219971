"""The finance bureaus' view: the bet at 金鱼石, what Hunan paid, a statement and its PDF."""

from __future__ import annotations

from playwright.sync_api import Dialog, Page, expect

from tests.helpers import PASSWORD


def test_compensation_page_shows_the_computed_figures(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/ecology/compensation")
    series = page.locator("#series-lushui")
    expect(series.locator('[data-figure="streak"]')).to_have_text("74")
    expect(series.locator('[data-figure="paid-430000-360000"]')).to_have_text("66,000,000.00")
    strip = series.locator(".strip span")
    expect(strip).to_have_count(74)  # 2019-07 .. 2025-08, every month passed
    assert series.locator('.strip span[data-pass="False"]').count() == 0
    with page.expect_download() as pdf:
        series.locator('tr[data-year="2024"]').get_by_role("link", name="PDF").click()
    assert pdf.value.suggested_filename.endswith(".pdf")
    series.locator('tr[data-year="2024"]').get_by_role("link", name="2024").click()
    expect(page.locator("body")).to_contain_text("12,000,000.00")


def log_in(page: Page, live_server: str, user: str, target: str) -> None:
    page.goto(f"{live_server}/login?next={target}")
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()


def test_only_the_parties_finance_bureaus_get_the_confirm_form(
    live_server: str, page: Page
) -> None:
    log_in(page, live_server, "viewer", "/ecology/compensation/7")
    expect(page.locator("body")).to_contain_text("2025")
    assert page.locator("form[action*='/confirm']").count() == 0
    page.context.clear_cookies()
    log_in(page, live_server, "hn-finance", "/ecology/compensation/7")
    expect(page.locator("form[action*='/confirm']").first).to_be_visible()


def test_confirming_asks_first_with_the_amount_in_words(live_server: str, page: Page) -> None:
    """The confirm button opens a dialog with the figure and its Chinese capitals; dismissing
    it sends nothing (accepting is what the page and API tests cover)."""
    log_in(page, live_server, "hn-finance", "/ecology/compensation/7")
    form = page.locator("form[action*='/confirm']").first
    expect(form).to_be_visible()
    messages: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        messages.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    form.locator("button[type=submit]").click()
    expect(page.locator('[data-state="computed"]')).to_be_visible()
    assert messages == [
        "代表湖南省确认本结算单：湖南省付江西省 6,000,000.00 元（人民币陆佰万元整）？"]
    page.wait_for_timeout(500)  # a submitted form would have navigated by now
    assert page.url.endswith("/ecology/compensation/7")
    expect(page.locator("form[action*='/confirm']").first).to_be_visible()  # still unconfirmed
