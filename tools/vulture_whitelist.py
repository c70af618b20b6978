"""What vulture (configured in pyproject.toml) takes for dead code but is not.

Frameworks that call by decorator or by name (Flask views and hooks, Celery
tasks, CLI commands, SQLAlchemy listeners and type hooks, WTForms validators,
Alembic revisions) are ignored in pyproject.toml; this file lists the rest, each
group with the reason. Vulture reads it as code that uses these names; it is
never imported. Add a name here only with a reason; remove what is really dead.
"""
# ruff: noqa: B018, F821

# --- read by templates only (vulture does not read Jinja) -----------------------------------------
_.ack_times  # responses/dashboard.py, templates/responses/dashboard.html
_.answer_times  # responses/dashboard.py, templates/responses/dashboard.html
business_days_left  # responses/deadlines.py Standing, templates/responses/_macros.html
hint  # api/models.py ApiToken, templates/api/tokens.html
last_used_at  # api/models.py ApiToken, templates/api/tokens.html
_.last_used_at
author  # proposals/models.py Message, routing/models.py Ruleset: templates/intake/status.html, routing/admin_index.html
merged_into  # core/models.py Department: templates/admin/departments.html, intake/status.html
public_contact  # core/models.py Department: templates/intake/status.html
claimed_at  # core/models.py OutboxEmail: set in core/outbox.py _claim, shown in templates/admin/outbox.html
published_at  # routing/models.py Ruleset: templates/routing/admin_index.html
_.published_at
retired_on  # core/models.py Department: templates/admin/departments.html
_.retired_on
returned_reason  # proposals/models.py Assignment: templates/responses/detail.html
_.returned_reason
size_bytes  # proposals/models.py Attachment: templates of the intake and responses rooms
last_error  # core/models.py OutboxEmail: templates/admin/outbox_email.html
_.last_error

# --- database columns kept for the record (who did what, when): written, read by people in the database
accepted_by_id  # intake/models.py Invitation
_.accepted_by_id
assigned_by_id  # proposals/models.py Assignment
closed_at  # proposals/models.py Assignment, core/models.py Department
_.closed_at
fired_at  # responses/models.py escalations
last_login_at  # core/models.py User
_.last_login_at
responded_at  # public/models.py PartnerInterest
_.responded_at
responded_by_id
_.responded_by_id
sent_at  # core/models.py OutboxEmail
_.sent_at
updated_by_id  # proposals/evaluations.py Evaluation, responses/models.py AnswerTemplate
_.updated_by_id
uploaded_by_id  # proposals/models.py Attachment
added_by_id  # proposals/groups.py GroupMembership
consent_at  # proposals/groups.py GroupMembership: when and who answered the consent question
_.consent_at
consent_by_id
_.consent_by_id
introduced_by_id  # proposals/groups.py GroupIntroduction
introduced_at  # proposals/groups.py GroupIntroduction: templates/groups/detail.html

# --- enum members: stored values, chosen by value (Enum("end")), never by name --------------------
BUREAU  # core/models.py DepartmentKind
CONTINUE  # proposals/evaluations.py ReviewDecision
COMMISSION
END

# --- read by the frameworks -----------------------------------------------------------------------
metadata  # core/extensions.py: the declarative base's MetaData (naming convention), read by SQLAlchemy
_.request_class  # core/__init__.py: Flask's request class
_.permanent  # flask.session.permanent: Flask reads it to set the cookie's lifetime
_.api_user  # api/views.py: flask.g.api_user, the staff member behind the API token, for the request
_.staff_login_failed  # core/auth.py: flask.g, read by g.get() in the limiter's deduct_when (failed sign-ins only)

# --- kept on purpose ------------------------------------------------------------------------------
change_password  # core/auth.py: the operation a password page calls (ends every session); tested in test_session_end.py
locked_until  # core/models.py User: no longer set (sign-in failures are counted per address and client, SECURITY.md); the column stays for existing rows
name_on  # core/departments.py: a department's name on a given day (renamed departments), tested in test_departments.py

# --- owned by other work in progress (issue 9): removed there, listed here until it lands ---------------
Hit  # routing/text.py: unused; routing/text.py is being replaced by the Japanese text layer
_.find  # routing/text.py KeywordIndex.find: unused, same
due_at_end_of  # responses/clock.py (B owns it): unused, left for B to remove
local  # responses/clock.py (B owns it): unused, same

# --- called by the standard library by name ----------------------------------------------------
_.redirect_request  # bench/surge.py _NoRedirect: urllib's HTTPRedirectHandler hook (return None: no redirect)

# --- the JSON API (api/) ----------------------------------------------------------------------------
# flask-smorest's Api.init_app calls these two by name; api/platform.py CityApi overrides them to do nothing.
_register_error_handlers
_register_doc_blueprint
ARGUMENTS_PARSER  # read by flask-smorest's Blueprint.arguments (api/platform.py CityBlueprint)
# marshmallow reads a schema's inner Meta and its declared fields by name when it loads and dumps (api/schemas.py).
Meta
content
public_url  # api/resources/groups.py GroupOut
status_label
status_from
status_to
from_applicant
proposal_state
proposal_version
schema_version
schema
licence
publisher

# search.pages.RankedPage: read by templates/macros/pager.html (the Flask-SQLAlchemy pagination shape)
from search.pages import RankedPage  # noqa: E402

RankedPage.has_prev
RankedPage.has_next
RankedPage.prev_num
RankedPage.next_num
RankedPage.counted_all  # templates/search/staff.html: 「10,000件以上」

# api/schemas_search.py: a field marshmallow serialises by name (api/resources/similar.py fills it)
partner_interest_open
