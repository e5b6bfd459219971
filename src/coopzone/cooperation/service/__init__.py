"""Cooperation rules: agreements, meetings, projects, leading-group tasks, indicators, and the
figures of the dashboard, one module per purpose. Every figure is counted from the records,
never typed in.

Services take the Session first and never commit; the edge owns the transaction.
"""

from coopzone.cooperation.service.agreements import (
    AGREEMENT_FLOW as AGREEMENT_FLOW,
)
from coopzone.cooperation.service.agreements import (
    AGREEMENT_HEADERS as AGREEMENT_HEADERS,
)
from coopzone.cooperation.service.agreements import (
    NEXT_STATUSES as NEXT_STATUSES,
)
from coopzone.cooperation.service.agreements import (
    AgreementFilter as AgreementFilter,
)
from coopzone.cooperation.service.agreements import (
    ImportPreview as ImportPreview,
)
from coopzone.cooperation.service.agreements import (
    ImportRowResult as ImportRowResult,
)
from coopzone.cooperation.service.agreements import (
    Ts as Ts,
)
from coopzone.cooperation.service.agreements import (
    _agreement_query as _agreement_query,
)
from coopzone.cooperation.service.agreements import (
    _agreement_values as _agreement_values,
)
from coopzone.cooperation.service.agreements import (
    _existing_by_title as _existing_by_title,
)
from coopzone.cooperation.service.agreements import (
    _filtered as _filtered,
)
from coopzone.cooperation.service.agreements import (
    _party_codes_as_imported as _party_codes_as_imported,
)
from coopzone.cooperation.service.agreements import (
    _refuse_repeated_parties as _refuse_repeated_parties,
)
from coopzone.cooperation.service.agreements import (
    _row_values as _row_values,
)
from coopzone.cooperation.service.agreements import (
    _set_document as _set_document,
)
from coopzone.cooperation.service.agreements import (
    _set_parties as _set_parties,
)
from coopzone.cooperation.service.agreements import (
    add_obligation as add_obligation,
)
from coopzone.cooperation.service.agreements import (
    agreement_history as agreement_history,
)
from coopzone.cooperation.service.agreements import (
    agreement_ids as agreement_ids,
)
from coopzone.cooperation.service.agreements import (
    agreement_rows as agreement_rows,
)
from coopzone.cooperation.service.agreements import (
    agreements_by_county as agreements_by_county,
)
from coopzone.cooperation.service.agreements import (
    agreements_by_field as agreements_by_field,
)
from coopzone.cooperation.service.agreements import (
    agreements_by_year as agreements_by_year,
)
from coopzone.cooperation.service.agreements import (
    applied_file as applied_file,
)
from coopzone.cooperation.service.agreements import (
    attach_document as attach_document,
)
from coopzone.cooperation.service.agreements import (
    change_agreement_status as change_agreement_status,
)
from coopzone.cooperation.service.agreements import (
    check_import as check_import,
)
from coopzone.cooperation.service.agreements import (
    create_agreement as create_agreement,
)
from coopzone.cooperation.service.agreements import (
    create_agreement_with_document as create_agreement_with_document,
)
from coopzone.cooperation.service.agreements import (
    get_agreement as get_agreement,
)
from coopzone.cooperation.service.agreements import (
    get_obligation as get_obligation,
)
from coopzone.cooperation.service.agreements import (
    import_agreements as import_agreements,
)
from coopzone.cooperation.service.agreements import (
    in_force_on_day as in_force_on_day,
)
from coopzone.cooperation.service.agreements import (
    later_statuses as later_statuses,
)
from coopzone.cooperation.service.agreements import (
    list_agreements as list_agreements,
)
from coopzone.cooperation.service.agreements import (
    move_status_to as move_status_to,
)
from coopzone.cooperation.service.agreements import (
    preview_agreements as preview_agreements,
)
from coopzone.cooperation.service.agreements import (
    report_obligation as report_obligation,
)
from coopzone.cooperation.service.agreements import (
    report_obligation_with_evidence as report_obligation_with_evidence,
)
from coopzone.cooperation.service.agreements import (
    require_status_move as require_status_move,
)
from coopzone.cooperation.service.agreements import (
    status_move_allowed as status_move_allowed,
)
from coopzone.cooperation.service.agreements import (
    status_path as status_path,
)
from coopzone.cooperation.service.agreements import (
    update_agreement as update_agreement,
)
from coopzone.cooperation.service.dashboard import (
    Dashboard as Dashboard,
)
from coopzone.cooperation.service.dashboard import (
    UnitPanel as UnitPanel,
)
from coopzone.cooperation.service.dashboard import (
    _dashboard as _dashboard,
)
from coopzone.cooperation.service.dashboard import (
    dashboard as dashboard,
)
from coopzone.cooperation.service.dashboard import (
    data_as_of as data_as_of,
)
from coopzone.cooperation.service.dashboard import (
    unit_panel as unit_panel,
)
from coopzone.cooperation.service.documents import (
    Upload as Upload,
)
from coopzone.cooperation.service.documents import (
    _store_upload as _store_upload,
)
from coopzone.cooperation.service.documents import (
    document_path as document_path,
)
from coopzone.cooperation.service.documents import (
    documents_by_id as documents_by_id,
)
from coopzone.cooperation.service.documents import (
    get_document as get_document,
)
from coopzone.cooperation.service.documents import (
    store_document as store_document,
)
from coopzone.cooperation.service.indicators import (
    COMPUTATIONS as COMPUTATIONS,
)
from coopzone.cooperation.service.indicators import (
    CONFERENCE_SERIES as CONFERENCE_SERIES,
)
from coopzone.cooperation.service.indicators import (
    CZT_SERIES as CZT_SERIES,
)
from coopzone.cooperation.service.indicators import (
    PERIOD_FORMS as PERIOD_FORMS,
)
from coopzone.cooperation.service.indicators import (
    Card as Card,
)
from coopzone.cooperation.service.indicators import (
    Computed as Computed,
)
from coopzone.cooperation.service.indicators import (
    _c_agreements_in_force as _c_agreements_in_force,
)
from coopzone.cooperation.service.indicators import (
    _c_agreements_signed as _c_agreements_signed,
)
from coopzone.cooperation.service.indicators import (
    _c_conferences as _c_conferences,
)
from coopzone.cooperation.service.indicators import (
    _c_counties_covered as _c_counties_covered,
)
from coopzone.cooperation.service.indicators import (
    _c_observer as _c_observer,
)
from coopzone.cooperation.service.indicators import (
    _c_project_completion as _c_project_completion,
)
from coopzone.cooperation.service.indicators import (
    _c_tasks_on_time as _c_tasks_on_time,
)
from coopzone.cooperation.service.indicators import (
    _cards as _cards,
)
from coopzone.cooperation.service.indicators import (
    _check_report as _check_report,
)
from coopzone.cooperation.service.indicators import (
    _ecology as _ecology,
)
from coopzone.cooperation.service.indicators import (
    _figures_cache as _figures_cache,
)
from coopzone.cooperation.service.indicators import (
    _meetings as _meetings,
)
from coopzone.cooperation.service.indicators import (
    _share as _share,
)
from coopzone.cooperation.service.indicators import (
    compute as compute,
)
from coopzone.cooperation.service.indicators import (
    define_indicator as define_indicator,
)
from coopzone.cooperation.service.indicators import (
    ecology_figures as ecology_figures,
)
from coopzone.cooperation.service.indicators import (
    get_indicator as get_indicator,
)
from coopzone.cooperation.service.indicators import (
    history as history,
)
from coopzone.cooperation.service.indicators import (
    indicator_cards as indicator_cards,
)
from coopzone.cooperation.service.indicators import (
    list_indicators as list_indicators,
)
from coopzone.cooperation.service.indicators import (
    may_report_indicator as may_report_indicator,
)
from coopzone.cooperation.service.indicators import (
    period_end as period_end,
)
from coopzone.cooperation.service.indicators import (
    register_computation as register_computation,
)
from coopzone.cooperation.service.indicators import (
    report_value as report_value,
)
from coopzone.cooperation.service.indicators import (
    report_value_with_evidence as report_value_with_evidence,
)
from coopzone.cooperation.service.indicators import (
    snapshot as snapshot,
)
from coopzone.cooperation.service.indicators import (
    store_value as store_value,
)
from coopzone.cooperation.service.indicators import (
    valid_period as valid_period,
)
from coopzone.cooperation.service.lists import (
    AGREEMENT_SORTING as AGREEMENT_SORTING,
)
from coopzone.cooperation.service.lists import (
    INDICATOR_SORTING as INDICATOR_SORTING,
)
from coopzone.cooperation.service.lists import (
    MEETING_SORTING as MEETING_SORTING,
)
from coopzone.cooperation.service.lists import (
    PROJECT_SORTING as PROJECT_SORTING,
)
from coopzone.cooperation.service.lists import (
    TASK_SORTING as TASK_SORTING,
)
from coopzone.cooperation.service.lists import (
    AgreementListRow as AgreementListRow,
)
from coopzone.cooperation.service.lists import (
    agreement_list_rows as agreement_list_rows,
)
from coopzone.cooperation.service.lists import (
    agreements_in_order as agreements_in_order,
)
from coopzone.cooperation.service.lists import (
    cached_agreement_page as cached_agreement_page,
)
from coopzone.cooperation.service.lists import (
    page_agreements as page_agreements,
)
from coopzone.cooperation.service.lists import (
    page_indicators as page_indicators,
)
from coopzone.cooperation.service.lists import (
    page_meetings as page_meetings,
)
from coopzone.cooperation.service.lists import (
    page_projects as page_projects,
)
from coopzone.cooperation.service.lists import (
    page_tasks as page_tasks,
)
from coopzone.cooperation.service.lists import (
    task_list as task_list,
)
from coopzone.cooperation.service.meetings import (
    MeetingFilter as MeetingFilter,
)
from coopzone.cooperation.service.meetings import (
    create_meeting as create_meeting,
)
from coopzone.cooperation.service.meetings import (
    get_meeting as get_meeting,
)
from coopzone.cooperation.service.meetings import (
    get_resolution as get_resolution,
)
from coopzone.cooperation.service.meetings import (
    list_meetings as list_meetings,
)
from coopzone.cooperation.service.meetings import (
    list_resolutions as list_resolutions,
)
from coopzone.cooperation.service.meetings import (
    meeting_query as meeting_query,
)
from coopzone.cooperation.service.parties import (
    PlaceIndex as PlaceIndex,
)
from coopzone.cooperation.service.parties import (
    guess_kind as guess_kind,
)
from coopzone.cooperation.service.parties import (
    list_parties as list_parties,
)
from coopzone.cooperation.service.parties import (
    resolve_party as resolve_party,
)
from coopzone.cooperation.service.parties import (
    unit_names as unit_names,
)
from coopzone.cooperation.service.permissions import (
    COOPERATION_OFFICE as COOPERATION_OFFICE,
)
from coopzone.cooperation.service.permissions import (
    _party_codes as _party_codes,
)
from coopzone.cooperation.service.permissions import (
    can_edit_agreement as can_edit_agreement,
)
from coopzone.cooperation.service.permissions import (
    has_write_role as has_write_role,
)
from coopzone.cooperation.service.permissions import (
    is_office as is_office,
)
from coopzone.cooperation.service.permissions import (
    may_create_agreement as may_create_agreement,
)
from coopzone.cooperation.service.permissions import (
    require_agreement_write as require_agreement_write,
)
from coopzone.cooperation.service.permissions import (
    require_may_create_agreement as require_may_create_agreement,
)
from coopzone.cooperation.service.permissions import (
    require_may_import as require_may_import,
)
from coopzone.cooperation.service.permissions import (
    require_office as require_office,
)
from coopzone.cooperation.service.permissions import (
    require_write_role as require_write_role,
)
from coopzone.cooperation.service.projects import (
    _milestone_to_write as _milestone_to_write,
)
from coopzone.cooperation.service.projects import (
    _new_project_code as _new_project_code,
)
from coopzone.cooperation.service.projects import (
    _project_query as _project_query,
)
from coopzone.cooperation.service.projects import (
    _site_counties as _site_counties,
)
from coopzone.cooperation.service.projects import (
    add_milestone as add_milestone,
)
from coopzone.cooperation.service.projects import (
    choose_sites as choose_sites,
)
from coopzone.cooperation.service.projects import (
    complete_milestone as complete_milestone,
)
from coopzone.cooperation.service.projects import (
    create_project as create_project,
)
from coopzone.cooperation.service.projects import (
    delete_milestone as delete_milestone,
)
from coopzone.cooperation.service.projects import (
    get_milestone as get_milestone,
)
from coopzone.cooperation.service.projects import (
    get_project as get_project,
)
from coopzone.cooperation.service.projects import (
    list_projects as list_projects,
)
from coopzone.cooperation.service.projects import (
    may_report_project as may_report_project,
)
from coopzone.cooperation.service.projects import (
    percent_complete as percent_complete,
)
from coopzone.cooperation.service.projects import (
    project_places as project_places,
)
from coopzone.cooperation.service.projects import (
    project_query as project_query,
)
from coopzone.cooperation.service.projects import (
    report_project as report_project,
)
from coopzone.cooperation.service.projects import (
    report_project_with_attachment as report_project_with_attachment,
)
from coopzone.cooperation.service.projects import (
    update_milestone as update_milestone,
)
from coopzone.cooperation.service.tasks import (
    DUE_SOON_DAYS as DUE_SOON_DAYS,
)
from coopzone.cooperation.service.tasks import (
    EXTENSION_FLOW as EXTENSION_FLOW,
)
from coopzone.cooperation.service.tasks import (
    OPEN_STATES as OPEN_STATES,
)
from coopzone.cooperation.service.tasks import (
    TASK_FLOW as TASK_FLOW,
)
from coopzone.cooperation.service.tasks import (
    TRANSITIONS as TRANSITIONS,
)
from coopzone.cooperation.service.tasks import (
    Reminders as Reminders,
)
from coopzone.cooperation.service.tasks import (
    TaskDetail as TaskDetail,
)
from coopzone.cooperation.service.tasks import (
    TaskFilter as TaskFilter,
)
from coopzone.cooperation.service.tasks import (
    _task_query as _task_query,
)
from coopzone.cooperation.service.tasks import (
    add_reply as add_reply,
)
from coopzone.cooperation.service.tasks import (
    attach_to_task as attach_to_task,
)
from coopzone.cooperation.service.tasks import (
    create_task as create_task,
)
from coopzone.cooperation.service.tasks import (
    decide_extension as decide_extension,
)
from coopzone.cooperation.service.tasks import (
    get_extension as get_extension,
)
from coopzone.cooperation.service.tasks import (
    get_task as get_task,
)
from coopzone.cooperation.service.tasks import (
    is_due_soon as is_due_soon,
)
from coopzone.cooperation.service.tasks import (
    is_overdue as is_overdue,
)
from coopzone.cooperation.service.tasks import (
    list_tasks as list_tasks,
)
from coopzone.cooperation.service.tasks import (
    may_move as may_move,
)
from coopzone.cooperation.service.tasks import (
    move_task as move_task,
)
from coopzone.cooperation.service.tasks import (
    moves_for as moves_for,
)
from coopzone.cooperation.service.tasks import (
    notify_due_soon as notify_due_soon,
)
from coopzone.cooperation.service.tasks import (
    on_time as on_time,
)
from coopzone.cooperation.service.tasks import (
    organisation_names as organisation_names,
)
from coopzone.cooperation.service.tasks import (
    readable_by as readable_by,
)
from coopzone.cooperation.service.tasks import (
    readable_document as readable_document,
)
from coopzone.cooperation.service.tasks import (
    reminders_for as reminders_for,
)
from coopzone.cooperation.service.tasks import (
    request_extension as request_extension,
)
from coopzone.cooperation.service.tasks import (
    require_task_read as require_task_read,
)
from coopzone.cooperation.service.tasks import (
    resolution_to_task as resolution_to_task,
)
from coopzone.cooperation.service.tasks import (
    task_detail as task_detail,
)
from coopzone.cooperation.service.tasks import (
    tasks_by_resolution as tasks_by_resolution,
)
