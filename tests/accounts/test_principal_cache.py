"""The acting principal is built once per process and kept until a user, membership or
organisation changes: a role granted or a user deactivated counts on the next request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from coopzone.accounts import service as accounts
from coopzone.errors import Unauthorized
from tests.helpers import People


@contextmanager
def statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(sql)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_principal_follows_role_changes_and_deactivation(
        session: Session, session_factory: sessionmaker[Session], people: People) -> None:
    viewer_id = people.viewer.id

    def principal(scopes: frozenset[str] | None = None) -> accounts.Principal:
        with session_factory() as request:  # each request has a session of its own
            return accounts.principal_for(request, viewer_id, scopes)

    first = principal()
    assert [(r.organisation_id, r.role) for r in first.roles] == [
        (people.jiangxi_county_org.id, "viewer")]

    with statements(session) as seen:  # served from the cache
        again = principal(frozenset({"read"}))
    assert not any("accounts_user" in s for s in seen), seen
    assert again.roles == first.roles and again.scopes == frozenset({"read"})
    assert first.scopes is None  # the scopes are the caller's, never the cache's

    accounts.grant_role(session, people.viewer, people.hunan_county_org, "editor")
    session.commit()
    assert sorted((r.organisation_id, r.role) for r in principal().roles) == sorted([
        (people.jiangxi_county_org.id, "viewer"), (people.hunan_county_org.id, "editor")])

    people.viewer.is_active = False
    session.commit()
    with pytest.raises(Unauthorized):
        principal()
