"""The cooperation office assigns a task from the web form and finds it in the task list."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD


def test_the_office_assigns_a_task_and_sees_it_in_the_list(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/login?next=/cooperation/tasks&lang=en")
    page.get_by_label("User name").fill("coop")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/cooperation/tasks$"))

    page.locator("#assign-task").click()
    expect(page.get_by_role("heading", name="Assign a task")).to_be_visible()
    page.get_by_label("Title").fill("编制萍醴跨界河流联合监测方案")
    page.get_by_label("Description").fill("会同醴陵市编制方案，报送领导小组办公室。")
    page.get_by_label("Owner organisation").select_option(label="萍乡市湘东区生态环境分局")
    page.get_by_label("Deadline").fill("2030-06-30")
    page.get_by_role("button", name="Assign").click()

    expect(page).to_have_url(re.compile(r"/cooperation/tasks#task-\d+$"))
    task_id = page.url.rsplit("#task-", 1)[1]
    row = page.locator(f"#task-{task_id}")
    expect(row).to_contain_text("编制萍醴跨界河流联合监测方案")
    expect(row).to_contain_text("萍乡市湘东区生态环境分局")
    expect(row).to_contain_text("2030-06-30")
    expect(row).to_have_attribute("data-state", "open")

    # Assigning the same title again is refused on the form, with what was typed kept.
    page.locator("#assign-task").click()
    page.get_by_label("Title").fill("编制萍醴跨界河流联合监测方案")
    page.get_by_label("Owner organisation").select_option(label="萍乡市湘东区生态环境分局")
    page.get_by_label("Deadline").fill("2030-07-31")
    page.get_by_role("button", name="Assign").click()
    expect(page.locator("#form-refused")).to_contain_text("已存在")
    expect(page.get_by_label("Deadline")).to_have_value("2030-07-31")
