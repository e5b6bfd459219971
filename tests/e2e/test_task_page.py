"""A task for several organisations (the demo's quarterly report): the office reads each
one's progress on the task page and grants an extension request."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.test_cooperation_forms import log_in_as_the_office


def test_the_office_sees_each_assignee_and_grants_an_extension(live_server: str,
                                                              page: Page) -> None:
    log_in_as_the_office(page, live_server, "tasks")
    page.get_by_role("link", name="报送湘赣边省际合作协议履约情况季度报告").click()
    expect(page).to_have_url(re.compile(r"/cooperation/tasks/\d+$"))
    rows = page.locator("#assignees tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_have_attribute("data-state", "submitted")
    expect(rows.nth(1)).to_have_attribute("data-state", "in_progress")
    expect(rows.nth(2)).to_have_attribute("data-state", "open")
    expect(page.locator("#task-replies")).to_contain_text("本季度履约情况报告已报送")
    request = page.locator("#task-extensions tbody tr").first
    expect(request).to_have_attribute("data-state", "requested")
    request.get_by_role("button", name="Grant").click()
    expect(page).to_have_url(re.compile(r"/cooperation/tasks/\d+#extensions$"))
    expect(page.locator("#task-extensions tbody tr").first).to_have_attribute(
        "data-state", "granted")
    expect(page.locator("#assignees tbody tr").nth(2)).to_contain_text("2025-10-19")
    expect(page.locator("#task-history")).to_contain_text("Extension granted")
