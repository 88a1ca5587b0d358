"""The outbox against real databases: which transaction's mail leaves (savepoints, rollbacks, closes), the claim that
keeps two deliveries from sending one message twice, and the migration that turned the old copies into sent rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import select, text

from edu.db import make_engine, session, utcnow
from edu.mail import delivery, services
from edu.mail.models import OutboxMessage
from tests.migration_helpers import upgraded_to_just_before
from tests.smtp_server import SMTPRelay, relay_for

REVISION = "d352c598daf9"  # outbox delivery


@pytest.fixture
def relay(app: Flask) -> Iterator[SMTPRelay]:
    with relay_for(app) as running:
        yield running


def subjects(relay: SMTPRelay) -> list[str]:
    return [str(message["Subject"]) for message in relay.messages]


def stored(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        return [(m.subject, m.state) for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_releasing_a_savepoint_sends_nothing_before_the_outer_commit(app, relay):
    with app.app_context():
        services.queue("a@example.com", "A", "body")
        with session.begin_nested():
            services.queue("b@example.com", "B", "body")
        assert relay.messages == []
        session.commit()
    assert subjects(relay) == ["A", "B"]
    assert stored(app) == [("A", "sent"), ("B", "sent")]


def test_a_savepoint_that_opens_the_transaction_does_not_commit_it(app, relay):
    """On SQLite the driver would let the savepoint open the transaction and its release commit it."""
    with app.app_context():
        with session.begin_nested():
            services.queue("a@example.com", "A", "body")
        session.rollback()
    assert relay.messages == [] and stored(app) == []


def test_mail_of_a_rolled_back_savepoint_stays_behind_when_the_rest_commits(app, relay):
    with app.app_context():
        services.queue("a@example.com", "A", "body")
        with pytest.raises(RuntimeError), session.begin_nested():
            services.queue("b@example.com", "B", "body")
            raise RuntimeError("this part fails")
        services.queue("c@example.com", "C", "body")  # on SQLite it may take B's id: sent once all the same
        session.commit()
    assert subjects(relay) == ["A", "C"]
    assert stored(app) == [("A", "sent"), ("C", "sent")]


def test_mail_of_a_transaction_that_ended_without_a_commit_never_rides_on_a_later_one(app, relay):
    with app.app_context():
        services.queue("a@example.com", "rolled back", "body")
        session.rollback()
        services.queue("a@example.com", "closed", "body")
        session.close()
        services.queue("a@example.com", "committed", "body")
        session.commit()
    assert subjects(relay) == ["committed"]
    assert stored(app) == [("committed", "sent")]


def test_each_commit_sends_its_own_mail_once(app, relay):
    with app.app_context():
        services.queue("a@example.com", "first", "body")
        session.commit()
        session.commit()  # nothing new: nothing sent again
        services.queue("a@example.com", "second", "body")
        session.commit()
    assert subjects(relay) == ["first", "second"]


def test_a_message_held_by_another_delivery_is_not_sent_twice(app, relay):
    relay.down = True
    with app.app_context():
        held = services.queue("a@example.com", "held", "body").id
        session.commit()  # attempt 1 fails: the claim is stamped now
        # As if another worker had just claimed this one and were sending it now.
        fresh = OutboxMessage(recipient="b@example.com", subject="fresh", body="body", last_attempt_at=utcnow(), attempts=1)
        session.add(fresh)
        session.commit()
        fresh_id = fresh.id
    relay.down = False
    assert delivery.due(app) == []
    assert delivery.deliver_one(app, held) is None and delivery.deliver_one(app, fresh_id) is None
    assert relay.messages == []
    with app.app_context():
        message = session.get_one(OutboxMessage, held)
        assert (message.state, message.attempts) == ("queued", 1)


def test_a_subject_too_long_for_the_column_is_shortened_not_fatal(app, relay):
    with app.app_context():
        services.queue("a@example.com", "Your certificate for " + "a very long course title " * 12, "body")
        session.commit()
        message = session.scalars(select(OutboxMessage)).one()
    assert len(message.subject) == 200 and message.subject.endswith("…") and message.state == "sent"
    assert str(relay.messages[0]["Subject"]).strip() == message.subject


# --- the migration --------------------------------------------------------------------------------------------------------------


def test_messages_kept_before_the_outbox_count_as_sent_and_are_not_sent_again(empty_database):
    config = upgraded_to_just_before(empty_database, REVISION)
    engine = make_engine(empty_database)
    written = datetime(2026, 5, 6, 7, 8, 9)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO outbox_messages (recipient, subject, body, created_at) VALUES ('a@example.com', 'Old', 'b', :at)"),
            {"at": written},
        )
    command.upgrade(config, REVISION)
    with engine.connect() as conn:
        state, attempts, sent_at = conn.execute(text("SELECT state, attempts, sent_at FROM outbox_messages")).one()
    engine.dispose()
    assert (state, attempts) == ("sent", 1)
    assert (sent_at if isinstance(sent_at, datetime) else datetime.fromisoformat(sent_at)) == written
