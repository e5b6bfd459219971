"""The cooperation office assigns a task from the web form and finds it in the task list."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.helpers import PASSWORD


def log_in_as_the_office(page: Page, live_server: str, where: str) -> None:
    """Log in as the cooperation office (in English) and land on /cooperation/<where>."""
    page.goto(f"{live_server}/login?next=/cooperation/{where}&lang=en")
    page.get_by_label("User name").fill("coop")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(rf"/cooperation/{where}$"))


def test_the_office_assigns_a_task_and_sees_it_in_the_list(live_server: str, page: Page) -> None:
    log_in_as_the_office(page, live_server, "tasks")

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


def test_the_office_creates_a_project_and_keeps_its_milestones(live_server: str,
                                                               page: Page) -> None:
    log_in_as_the_office(page, live_server, "projects")

    page.locator("#new-project").click()
    expect(page.get_by_role("heading", name="New project")).to_be_visible()
    page.locator("#f-name").fill("湘东—醴陵跨省公交线路")
    page.locator("#f-owner").fill("萍乡市湘东区交通运输局")
    page.locator("#f-owner_place_code").select_option("360313")
    page.locator("#f-field").select_option("transport")
    page.locator("#f-budget").fill("1,250,000.50")
    page.locator("#f-started_on").fill("2025-10-01")
    page.locator("#f-summary").fill("开通湘东至醴陵的城际公交")
    sites = page.locator("#f-sites")
    sites.get_by_label("湘东区").check()
    sites.get_by_label("醴陵市").check()
    page.get_by_role("button", name="Save the project").click()

    expect(page).to_have_url(re.compile(r"/cooperation/projects/\d+$"))
    expect(page.get_by_role("heading", name="湘东—醴陵跨省公交线路")).to_be_visible()
    expect(page.locator("table.grid").first).to_contain_text("1,250,000.5")
    expect(page.locator("#site-list")).to_have_text("湘东区、醴陵市")

    page.locator("#add-milestone summary").click()
    page.locator("#new-f-name").fill("首班车开通")
    page.locator("#new-f-due_on").fill("2025-12-31")
    page.get_by_role("button", name="Add the milestone").click()
    expect(page).to_have_url(re.compile(r"/cooperation/projects/\d+#milestone-\d+$"))
    milestone_id = page.url.rsplit("#milestone-", 1)[1]
    row = page.locator(f"#milestone-{milestone_id}")
    expect(row).to_contain_text("首班车开通")
    expect(row).to_contain_text("2025-12-31")

    row.get_by_text("Edit or delete").click()
    row.locator(f"#m{milestone_id}-edit-f-name").fill("首班车开通运营")
    row.get_by_role("button", name="Save the changes").click()
    row = page.locator(f"#milestone-{milestone_id}")
    expect(row).to_contain_text("首班车开通运营")

    row.get_by_text("Mark as done").click()
    row.locator(f"#m{milestone_id}-f-done_on").fill("2025-12-20")
    row.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(f"#milestone-{milestone_id}")).to_contain_text("2025-12-20")
    expect(page.locator(f"#milestone-done-{milestone_id}")).to_have_count(0)
    expect(page.locator(f"#milestone-delete-{milestone_id}")).to_have_count(0)

    page.locator("#add-milestone summary").click()
    page.locator("#new-f-name").fill("试运行")
    page.locator("#new-f-due_on").fill("2025-11-30")
    page.get_by_role("button", name="Add the milestone").click()
    second = page.url.rsplit("#milestone-", 1)[1]
    page.locator(f"#milestone-{second}").get_by_text("Edit or delete").click()
    page.locator(f"#milestone-delete-{second}").get_by_role("button").click()
    expect(page.locator(f"#milestone-{second}")).to_have_count(0)
    expect(page.locator("#milestone-list")).to_contain_text("首班车开通运营")
