"""A bounded schemathesis pass over every operation of the JSON API, in process, on the test
database: no answer may be a server error, and every answer must match the OpenAPI schema
(status code, content type, body, headers).

Each operation gets a few examples (hypothesis, no deadline, no example database):
* ``positive`` and ``negative`` data, authenticated as an editor of the cooperation office
  with a read+write token;
* ``seeded``: positive data with the path ids pinned to records that exist (an agreement, an
  obligation, a meeting's resolution, a project, a task, a section), so the handlers run past
  their 404s;
* ``anonymous``: positive data without token or cookie.

schemathesis' own pytest loader (``from_fixture``) does not run on pytest 9, so each
operation is a parametrized test that draws cases from ``APIOperation.as_strategy``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from coopzone.accounts import service as accounts
from coopzone.api.app import create_app
from coopzone.cooperation import service as coop
from coopzone.cooperation.schemas import (
    AgreementCreate,
    MeetingCreate,
    ObligationCreate,
    PartyIn,
    ProjectCreate,
    TaskCreate,
)
from coopzone.ecology import service as ecology
from coopzone.ecology.schemas import SectionCreate
from tests.helpers import PASSWORD, People, make_settings, token_for

SCHEMA = schemathesis.openapi.from_dict(create_app(make_settings("sqlite://")).openapi())
OPERATIONS = {op.label: op for op in (r.ok() for r in SCHEMA.get_all_operations())}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
EXAMPLES = {"positive": 10, "negative": 8, "seeded": 6, "anonymous": 3}


@dataclass
class Seeded:
    headers: dict[str, str]
    path: dict[str, Any]


@pytest.fixture
def seeded(session: Session, people: People) -> Seeded:
    """A small zone: the cooperation office and its editor (the caller), one record of each
    kind an operation's path names."""
    office_org = accounts.create_organisation(session, "萍乡市湘赣边区域合作发展事务中心",
                                              "cooperation_office", "360300")
    editor = accounts.create_user(session, "coop", PASSWORD, "合作中心编辑")
    accounts.grant_role(session, editor, office_org, "editor")
    session.commit()
    office = accounts.principal_for(session, editor.id)
    agreement = coop.create_agreement(session, office, AgreementCreate(
        title="萍乡市—醴陵市交通合作协议", field="transport", signed_on=date(2022, 5, 12),
        parties=[PartyIn(name="萍乡市人民政府"), PartyIn(name="醴陵市人民政府")]))
    obligation = coop.add_obligation(session, office, agreement.id, ObligationCreate(
        description="建设连接公路", owner="萍乡市人民政府"))
    meeting = coop.create_meeting(session, office, MeetingCreate(
        title="湘赣边区域合作联席会议", kind="joint_meeting", held_on=date(2025, 3, 1),
        host="萍乡市", resolutions=["推进交通互联"]))
    project = coop.create_project(session, office, ProjectCreate(
        name="萍醴快速通道", field="transport", owner="萍乡市交通运输局",
        owner_place_code="360300"))
    task = coop.create_task(session, office, TaskCreate(
        title="编制互联互通方案", owner_org_id=office_org.id, deadline=date(2025, 12, 31)))
    jiangxi = accounts.principal_for(session, people.jiangxi_editor.id)
    section = ecology.create_section(session, jiangxi, SectionCreate(
        code="jinyushi", name="金鱼石", river="萍水河", basin="渌水", county_code="360313"))
    gov = _gov_records(session)
    session.commit()
    headers = token_for(session, editor)
    return Seeded(headers, {**gov,
        "agreement_id": agreement.id, "obligation_id": obligation.id,
        "resolution_id": meeting.resolutions[0].id, "project_id": project.id,
        "task_id": task.id, "code": section.code, "token_id": 1, "series": "lushui"})


def _gov_records(session: Session) -> dict[str, Any]:
    """A 跨省通办 item, window and case (collected in 湘东区 for a 醴陵市 department)."""
    from stdnum.cn import ric

    from coopzone.gov_services import service as gov
    from coopzone.gov_services.schemas import CaseCreate, ItemCreate, WindowCreate

    org = accounts.create_organisation
    window_org = org(session, "湘东区政务服务中心", "service_window", "360313")
    dept = org(session, "醴陵市公安局", "service_department", "430281")
    office_org = org(session, "萍乡市政务服务管理局", "services_office", "360300")
    users = []
    for name, where in (("gov-office", office_org), ("gov-window", window_org)):
        user = accounts.create_user(session, name, PASSWORD, name)
        accounts.grant_role(session, user, where, "editor")
        users.append(user)
    session.flush()
    office, clerk = (accounts.principal_for(session, u.id) for u in users)
    item = gov.create_item(session, office, ItemCreate(
        code="T-001", name="户口迁移（测试）", department_kind="public_security",
        modes=["proxy"], statutory_days=20))
    window = gov.create_window(session, office, WindowCreate(
        name="湘东区跨省通办窗口", place_code="360313", organisation_id=window_org.id))
    body = "43028119900307123"
    case = gov.create_case(session, clerk, CaseCreate(
        applicant_kind="person", applicant_name="张小三",
        id_number=body + ric.calc_check_digit(body + "0"), item_id=item.id, mode="proxy",
        window_id=window.id, department_id=dept.id))
    return {"case_id": case.id, "item_id": item.id, "window_id": window.id, "view": "mine"}


def _strategy(label: str, mode: str, seeded: Seeded) -> Any:
    op = OPERATIONS[label]
    if mode == "negative":
        return op.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    if mode == "seeded":
        names = {p.name for p in op.path_parameters}
        return op.as_strategy(path_parameters={k: v for k, v in seeded.path.items()
                                               if k in names})
    return op.as_strategy()


@pytest.mark.parametrize("mode", list(EXAMPLES))
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_operation(label: str, mode: str, app: FastAPI, seeded: Seeded) -> None:
    if mode == "seeded" and not list(OPERATIONS[label].path_parameters):
        pytest.skip("no path parameter to pin")
    headers = {} if mode == "anonymous" else seeded.headers

    @given(case=_strategy(label, mode, seeded))
    @settings(max_examples=EXAMPLES[mode], deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), print_blob=True)
    def run(case: Any) -> None:
        case.call_and_validate(app=app, headers=headers, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:  # nothing can be generated (e.g. no parameter to break)
        assert mode == "negative", f"{label}: no {mode} case could be generated"


def test_every_operation_is_covered() -> None:
    """The pass runs over the whole API (a new router is fuzzed without listing it here)."""
    assert len(OPERATIONS) >= 51
    assert all(label.split()[1].startswith("/api/v1/") for label in OPERATIONS)
