"""跨省通办 services: the rules of items, windows, agreements, cases, their clock, evaluations.

The public surface (every function takes the Session first, never commits, and checks the
principal's rights on the stored record before writing anything):

Catalogue (:mod:`.catalogue`)
    ``seed_items(session) -> SeedResult`` (the shipped CSV, idempotent by name),
    ``create_item / update_item(session, principal, [item_id,] ItemCreate|ItemUpdate)``,
    ``get_item``, ``list_items``;
    ``create_window / update_window(session, principal, [window_id,] WindowCreate|…)``,
    ``get_window``, ``list_windows``;
    ``create_kstb_agreement / update_kstb_agreement(session, principal, …)``,
    ``get_kstb_agreement``, ``list_kstb_agreements(session, KstbFilter)`` (signing days,
    place and side, item, title), ``kstb_agreement_count(session)``;
    ``may_manage_window`` / ``may_manage_kstb(principal, record)`` (the edit links),
    ``require_window_manage``.

Cases (:mod:`.cases`)
    ``create_case(session, principal, CaseCreate) -> Case`` (申请);
    ``move_case(session, principal, case_id, action, note="", *, at=None, calendar=None,
    formal_check_ok=None, identity_checked=None, materials=None, tracking_number=None)``
    for ``collect send accept refuse request_correction complete_correction approve deny
    deliver archive``; ``step(session, principal, case_id, StepIn)`` (the same from a form;
    ``decide`` + outcome); ``postage_pause(session, principal, case_id, first, last)``;
    ``available_actions(principal, case)``; ``CASE_FLOW`` (the machine, its labels).

Clock (:mod:`.clock`)
    ``Clock(settings)``: the one clock of an app, request or command (``today()``, ``now()``,
    ``calendar``: the settings' as-of date, else Asia/Shanghai); every function below that
    needs "today" or "now" takes it as ``platform=`` (none: :func:`.clock.process_clock`, the
    process's settings, for commands and jobs); ``case_clock(case, pauses, calendar, today)
    -> CaseClock`` (used, left, overdue, deadline or ``unknown: no calendar for YYYY``),
    ``is_overdue``.

Reading (:mod:`.privacy`, :mod:`.queries`)
    ``case_view(session, principal, case_id, full=False) -> CaseView`` (masked; ``full``
    needs ``gov_case.personal_data`` and writes an audit row);
    ``work_list(session, principal, view, params)`` (mine, due_soon, overdue, correction),
    ``incoming``, ``overdue_list``, ``search_cases(session, principal, CaseSearch, params)``
    → ``Page[CaseRow]`` (masked); ``case_statistics(session, principal, by, month_from,
    month_to) -> list[StatRow]`` (from the summary of :mod:`.summary`, kept by session events;
    ``recompute_statistics``: the same from the cases); ``evaluation_statistics``;
    ``residents_served``.

Imports (:mod:`.ledger`; imported as a module: ``from coopzone.gov_services.service import
ledger``)
    A window's 台账 of past cases: ``require_ledger_import(principal, window)``,
    ``preview_ledger(session, principal, window_id, rows, sha256, locale) -> Outcome``
    (writes nothing), ``import_ledger(session, principal, window_id, rows, *, sha256,
    filename, locale, calendar=None, platform=None) -> Outcome`` (all or nothing; cases in
    the state their dates reach, with history and clock); an office's item list:
    ``require_item_import(principal)``, ``preview_items``, ``import_items``; both
    idempotent by the file's SHA-256 (``applied_file``) and by case number / item code.
    A file of either kind (``KINDS``) as the API and the import page take it:
    ``require_import(session, principal, kind, window_id)``, ``check_file(session,
    settings, principal, kind, window_id, content, filename, locale, *, apply, sha256)``.

Evaluations (:mod:`.evaluations`)
    ``evaluate_case(session, principal, case_id, EvaluationCreate) -> Evaluated``
    (a 差评 opens a FollowUp due after ``gov_followup_working_days``),
    ``answer_followup(session, principal, followup_id, FollowUpAnswer)``, ``open_followups``;
    ``due_followups(session, within, today)`` (due within N working days, or overdue) and
    ``notify_due_followups`` (reminders, once per follow-up per day).

Dashboard figures (:mod:`.figures`, registered with the cooperation indicators on import)
    ``kstb_agreements``, ``hunan_served_in_person``, ``services_on_time`` (session, as_of)
    → ``Computed``; ``served_in_person(session, as_of, province, within)``.

Errors are :mod:`coopzone.errors` (403 not yours / wrong side, 404, 409 wrong state or mode,
422 bad input with row/column/reason); a refused call has written nothing.
"""

# Imported for its effect too: it registers the dashboard's figures.
from coopzone.gov_services.service import figures as figures
from coopzone.gov_services.service.cases import (
    ACTION_LABELS,
    CASE_FLOW,
    STATE_LABELS,
    available_actions,
    create_case,
    get_case,
    move_case,
    postage_pause,
    step,
)
from coopzone.gov_services.service.catalogue import (
    KstbFilter,
    SeedResult,
    create_item,
    create_kstb_agreement,
    create_window,
    find_kstb_agreement,
    get_item,
    get_kstb_agreement,
    get_window,
    kstb_agreement_count,
    list_items,
    list_kstb_agreements,
    list_windows,
    may_manage_kstb,
    may_manage_window,
    require_window_manage,
    seed_items,
    update_item,
    update_kstb_agreement,
    update_window,
)
from coopzone.gov_services.service.clock import CaseClock, case_clock, is_overdue
from coopzone.gov_services.service.evaluations import (
    DueFollowUp,
    Evaluated,
    answer_followup,
    due_followups,
    evaluate_case,
    notify_due_followups,
    open_followups,
)
from coopzone.gov_services.service.privacy import CaseView, case_view
from coopzone.gov_services.service.queries import (
    CaseRow,
    CaseSearch,
    EvaluationStat,
    StatRow,
    case_statistics,
    evaluation_statistics,
    incoming,
    overdue_list,
    recompute_statistics,
    residents_served,
    search_cases,
    work_list,
)

__all__ = [
    "ACTION_LABELS", "CASE_FLOW", "STATE_LABELS", "CaseClock", "CaseRow", "CaseSearch", "CaseView",
    "DueFollowUp", "Evaluated", "EvaluationStat", "KstbFilter", "SeedResult", "StatRow",
    "answer_followup", "available_actions", "case_clock", "case_statistics", "case_view",
    "create_case", "create_item", "create_kstb_agreement", "create_window", "due_followups",
    "evaluate_case", "evaluation_statistics", "find_kstb_agreement", "get_case", "get_item",
    "get_kstb_agreement", "get_window", "incoming", "is_overdue", "kstb_agreement_count",
    "list_items", "list_kstb_agreements", "list_windows", "may_manage_kstb", "may_manage_window",
    "move_case", "notify_due_followups", "open_followups", "overdue_list", "postage_pause",
    "recompute_statistics", "require_window_manage", "residents_served", "search_cases",
    "seed_items", "step", "update_item", "update_kstb_agreement", "update_window", "work_list",
]
