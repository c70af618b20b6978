"""Declared expectations of the authorization matrix (tests/test_security_matrix.py).

One line per route and method ("METHOD rule", as in the URL map), then what each role gets, in the
order of ROLES: ok (the view runs: a page, a redirect that is not to a sign-in page, or a complaint
about the input), signin (redirected to /signin or /staff/login), 401 (the API wants a token), 403, 404.
A POST declared ok is not requested (it would change things; the feature tests cover it).

Add a line for every new route; the test fails until you do.
"""

ROLES = ("anonymous", "applicant_a", "applicant_b", "window", "dept_holding", "dept_not_holding", "dept_ended",
         "manager", "admin")

#                                                                     anon    appl-A  appl-B  window  holding other   ended   manager admin
_TABLE = """
GET /                                                                 ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /admin/                                                           signin  403     403     403     403     403     403     403     ok
GET /admin/api-tokens/                                                signin  403     403     403     403     403     403     403     ok
POST /admin/api-tokens/                                               signin  403     403     403     403     403     403     403     ok
POST /admin/api-tokens/<int:token_id>/revoke                          signin  403     403     403     403     403     403     403     ok
GET /admin/audit                                                      signin  403     403     403     403     403     403     403     ok
GET /admin/deadlines/                                                 signin  403     403     403     403     403     403     403     ok
POST /admin/deadlines/                                                signin  403     403     403     403     403     403     403     ok
GET /admin/deadlines/heads                                            signin  403     403     403     403     403     403     403     ok
POST /admin/deadlines/heads                                           signin  403     403     403     403     403     403     403     ok
GET /admin/departments                                                signin  403     403     403     403     403     403     403     ok
GET /admin/departments/<code>                                         signin  403     403     403     403     403     403     403     ok
POST /admin/departments/<code>                                        signin  403     403     403     403     403     403     403     ok
GET /admin/outbox                                                     signin  403     403     403     403     403     403     403     ok
GET /admin/outbox/<int:email_id>                                      signin  403     403     403     403     403     403     403     ok
GET /admin/routing/                                                   signin  403     403     403     403     403     403     403     ok
POST /admin/outbox/<int:email_id>/resend                              signin  403     403     403     403     403     403     403     ok
POST /admin/routing/draft                                             signin  403     403     403     403     403     403     403     ok
GET /admin/routing/keywords                                           signin  403     403     403     403     403     403     403     ok
POST /admin/routing/keywords                                          signin  403     403     403     403     403     403     403     ok
POST /admin/routing/keywords/<int:keyword_id>/remove                  signin  403     403     403     403     403     403     403     ok
GET /admin/routing/themes                                             signin  403     403     403     403     403     403     403     ok
POST /admin/routing/themes                                            signin  403     403     403     403     403     403     403     ok
GET /admin/routing/versions/<int:number>                              signin  403     403     403     403     403     403     403     ok
GET /admin/routing/versions/<int:number>/backtest                     signin  403     403     403     403     403     403     403     ok
POST /admin/routing/versions/<int:number>/backtest                    signin  403     403     403     403     403     403     403     ok
POST /admin/routing/versions/<int:number>/discard                     signin  403     403     403     403     403     403     403     ok
GET /admin/routing/versions/<int:number>/preview                      signin  403     403     403     403     403     403     403     ok
POST /admin/routing/versions/<int:number>/preview                     signin  403     403     403     403     403     403     403     ok
POST /admin/routing/versions/<int:number>/publish                     signin  403     403     403     403     403     403     403     ok
POST /admin/routing/versions/<int:number>/rollback                    signin  403     403     403     403     403     403     403     ok
GET /admin/routing/versions/<int:number>/rules/<int:rule_id>          signin  403     403     403     403     403     403     403     ok
POST /admin/routing/versions/<int:number>/rules/<int:rule_id>         signin  403     403     403     403     403     403     403     ok
POST /admin/routing/versions/<int:number>/rules/<int:rule_id>/delete  signin  403     403     403     403     403     403     403     ok
GET /admin/routing/versions/<int:number>/rules/new                    signin  403     403     403     403     403     403     403     ok
POST /admin/routing/versions/<int:number>/rules/new                   signin  403     403     403     403     403     403     403     ok
GET /api/v1/assignments                                               401     401     401     401     401     401     401     401     401
GET /api/v1/groups                                                    401     401     401     401     401     401     401     401     401
GET /api/v1/groups/<int:group_id>                                     401     401     401     401     401     401     401     401     401
GET /api/v1/assignments/<int:assignment_id>                           401     401     401     401     401     401     401     401     401
POST /api/v1/assignments/<int:assignment_id>/acknowledge              401     401     401     401     401     401     401     401     401
POST /api/v1/assignments/<int:assignment_id>/adopt                    401     401     401     401     401     401     401     401     401
POST /api/v1/assignments/<int:assignment_id>/decline                  401     401     401     401     401     401     401     401     401
POST /api/v1/assignments/<int:assignment_id>/not-ours                 401     401     401     401     401     401     401     401     401
POST /api/v1/assignments/<int:assignment_id>/opinion                  401     401     401     401     401     401     401     401     401
POST /api/v1/assignments/<int:assignment_id>/request-information      401     401     401     401     401     401     401     401     401
GET /api/v1/catalogue                                                 ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /api/v1/catalogue/<reference>                                     404     404     404     404     404     404     404     404     404
GET /api/v1/docs                                                      ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /api/v1/open-data                                                 ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /api/v1/openapi.json                                              ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /api/v1/proposals                                                 401     401     401     401     401     401     401     401     401
POST /api/v1/proposals                                                401     401     401     401     401     401     401     401     401
GET /api/v1/proposals/<int:proposal_id>                               401     401     401     401     401     401     401     401     401
PATCH /api/v1/proposals/<int:proposal_id>                             401     401     401     401     401     401     401     401     401
POST /api/v1/proposals/<int:proposal_id>/answer                       401     401     401     401     401     401     401     401     401
POST /api/v1/proposals/<int:proposal_id>/attachments                  401     401     401     401     401     401     401     401     401
POST /api/v1/proposals/<int:proposal_id>/confirm                      401     401     401     401     401     401     401     401     401
POST /api/v1/proposals/<int:proposal_id>/links                        401     401     401     401     401     401     401     401     401
POST /api/v1/proposals/<int:proposal_id>/merge                        401     401     401     401     401     401     401     401     401
GET /api/v1/proposals/<int:proposal_id>/messages                      401     401     401     401     401     401     401     401     401
POST /api/v1/proposals/<int:proposal_id>/messages                     401     401     401     401     401     401     401     401     401
POST /api/v1/proposals/<int:proposal_id>/messages/<int:message_id>/attachments 401     401     401     401     401     401     401     401     401
POST /api/v1/proposals/<int:proposal_id>/request-information          401     401     401     401     401     401     401     401     401
POST /api/v1/proposals/<int:proposal_id>/routing                      401     401     401     401     401     401     401     401     401
POST /api/v1/proposals/<int:proposal_id>/submit                       401     401     401     401     401     401     401     401     401
GET /api/v1/proposals/<int:proposal_id>/timeline                      401     401     401     401     401     401     401     401     401
GET /api/v1/proposals/<reference>/similar                             401     401     401     401     401     401     401     401     401
POST /api/v1/proposals/<int:proposal_id>/withdraw                     401     401     401     401     401     401     401     401     401
POST /api/v1/routing/preview                                          401     401     401     401     401     401     401     401     401
GET /api/v1/statistics                                                ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /api/v1/triage                                                    401     401     401     401     401     401     401     401     401
GET /api/v1/webhooks                                                  401     401     401     401     401     401     401     401     401
POST /api/v1/webhooks                                                 401     401     401     401     401     401     401     401     401
DELETE /api/v1/webhooks/<int:subscription_id>                         401     401     401     401     401     401     401     401     401
GET /api/v1/webhooks/<int:subscription_id>/deliveries                 401     401     401     401     401     401     401     401     401
POST /api/v1/webhooks/<int:subscription_id>/deliveries/<int:delivery_id>/redeliver 401     401     401     401     401     401     401     401     401
POST /api/v1/webhooks/<int:subscription_id>/resume                    401     401     401     401     401     401     401     401     401
GET /attachments/<int:attachment_id>                                  signin  ok      404     ok      ok      404     404     ok      ok
GET /catalogue                                                        ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /catalogue/<reference>                                            404     404     404     404     404     404     404     404     404
GET /catalogue/manage                                                 signin  403     403     ok      403     403     403     403     ok
POST /catalogue/manage/<int:proposal_id>                              signin  403     403     ok      403     403     403     403     ok
GET /evaluations                                                      signin  403     403     ok      ok      ok      ok      ok      ok
GET /evaluations/<int:proposal_id>                                    signin  403     403     404     404     404     404     404     404
POST /evaluations/<int:proposal_id>                                   signin  403     403     404     404     404     404     404     404
GET /healthz                                                          ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /inbox                                                            signin  403     403     ok      ok      ok      ok      ok      ok
GET /inbox/proposals/<int:proposal_id>                                signin  403     403     ok      ok      404     ok      ok      ok
POST /inbox/proposals/<int:proposal_id>/<action>                      signin  403     403     404     ok      404     403     ok      404
GET /inbox/proposals/<int:proposal_id>/files/<int:attachment_id>      signin  403     403     ok      ok      404     404     ok      ok
GET /inbox/templates                                                  signin  403     403     ok      ok      ok      ok      ok      ok
POST /inbox/templates                                                 signin  403     403     403     403     403     403     ok      ok
GET /invitations/<token>                                              ok      ok      ok      ok      ok      ok      ok      ok      ok
POST /invitations/<token>                                             ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /lang/<code>                                                      ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /my                                                               signin  ok      ok      403     403     403     403     403     403
GET /my/organisations/<int:organisation_id>/invite                    signin  ok      404     403     403     403     403     403     403
POST /my/organisations/<int:organisation_id>/invite                   signin  ok      404     403     403     403     403     403     403
GET /my/proposals/<reference>                                         signin  ok      404     403     403     403     403     403     403
POST /my/proposals/<reference>/answer                                 signin  ok      404     403     403     403     403     403     403
POST /my/proposals/<reference>/messages                               signin  ok      404     403     403     403     403     403     403
GET /my/proposals/<reference>/submitted                               signin  ok      404     403     403     403     403     403     403
GET /my/proposals/<reference>/withdraw                                signin  ok      404     403     403     403     403     403     403
POST /my/proposals/<reference>/withdraw                               signin  ok      404     403     403     403     403     403     403
GET /my/settings                                                      signin  ok      ok      403     403     403     403     403     403
POST /my/settings                                                     signin  ok      ok      403     403     403     403     403     403
GET /open-data                                                        ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /open-data/proposals.csv                                          ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /open-data/proposals.json                                         ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /open311/v2/discovery.json                                        ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /open311/v2/requests.json                                         ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /open311/v2/requests/<reference>.json                             404     404     404     404     404     404     404     404     404
GET /open311/v2/services.json                                         ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /partners                                                         ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /partners/<reference>/interest                                    signin  404     404     403     403     403     403     403     403
POST /partners/<reference>/interest                                   signin  404     404     403     403     403     403     403     403
GET /partners/interests                                               signin  ok      ok      403     403     403     403     403     403
POST /partners/interests/<int:interest_id>/respond                    signin  404     404     403     403     403     403     403     403
POST /partners/interests/<int:interest_id>/withdraw                   signin  404     404     403     403     403     403     403     403
GET /partners/wanted/<reference>                                      signin  ok      404     403     403     403     403     403     403
POST /partners/wanted/<reference>                                     signin  ok      404     403     403     403     403     403     403
POST /proposals/<int:draft_id>/files/<int:attachment_id>/delete       404     404     404     404     404     404     404     404     404
GET /proposals/<int:draft_id>/resume                                  signin  ok      404     404     404     404     404     404     404
GET /proposals/<int:draft_id>/review                                  signin  ok      404     404     404     404     404     404     404
POST /proposals/<int:draft_id>/review                                 signin  ok      404     404     404     404     404     404     404
GET /proposals/<int:draft_id>/saved                                   404     ok      404     404     404     404     404     404     404
POST /proposals/<int:draft_id>/saved                                  404     ok      404     404     404     404     404     404     404
GET /proposals/<int:draft_id>/step/<int:step>                         signin  ok      404     404     404     404     404     404     404
POST /proposals/<int:draft_id>/step/<int:step>                        signin  ok      404     404     404     404     404     404     404
POST /proposals/<int:draft_id>/step/<int:step>/autosave               404     ok      404     404     404     404     404     404     404
GET /proposals/new                                                    ok      ok      ok      ok      ok      ok      ok      ok      ok
POST /proposals/new                                                   ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /settings/api-tokens/                                             signin  ok      ok      ok      ok      ok      ok      ok      ok
POST /settings/api-tokens/                                            signin  ok      ok      ok      ok      ok      ok      ok      ok
POST /settings/api-tokens/<int:token_id>/revoke                       signin  ok      ok      ok      ok      ok      ok      ok      ok
GET /signin                                                           ok      ok      ok      ok      ok      ok      ok      ok      ok
POST /signin                                                          ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /signin/link/<token>                                              ok      ok      ok      ok      ok      ok      ok      ok      ok
POST /signin/link/<token>                                             ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /signin/sent                                                      ok      ok      ok      ok      ok      ok      ok      ok      ok
POST /signout                                                         ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /staff                                                            signin  403     403     ok      ok      ok      ok      ok      ok
GET /staff/login                                                      ok      ok      ok      ok      ok      ok      ok      ok      ok
POST /staff/login                                                     ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /static/<path:filename>                                           ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /stats                                                            ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /stats/<name>.csv                                                 ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /search                                                           signin  403     403     ok      ok      ok      ok      ok      ok
GET /triage/                                                          signin  403     403     ok      403     403     403     403     ok
GET /triage/<reference>                                               signin  403     403     ok      403     403     403     403     ok
POST /triage/<reference>/change                                       signin  403     403     ok      403     403     403     403     ok
POST /triage/<reference>/confirm                                      signin  403     403     ok      403     403     403     403     ok
POST /triage/<reference>/link                                         signin  403     403     ok      403     403     403     403     ok
POST /triage/<reference>/merge                                        signin  403     403     ok      403     403     403     403     ok
POST /triage/<reference>/request-info                                 signin  403     403     ok      403     403     403     403     ok
POST /triage/<reference>/resume                                       signin  403     403     ok      403     403     403     403     ok
GET /window/dashboard                                                 signin  403     403     ok      403     403     403     403     ok
GET /admin/privacy/reads                                              signin  403     403     403     403     403     403     403     ok
GET /catalogue/manage/<int:proposal_id>/preview                       signin  403     403     404     403     403     403     403     404
GET /privacy                                                          ok      ok      ok      ok      ok      ok      ok      ok      ok
GET /my/data.json                                                     signin  ok      ok      403     403     403     403     403     403
GET /groups/<slug>                                                    ok      ok      ok      ok      ok      ok      ok      ok      ok
POST /my/proposals/<reference>/groups/<int:group_id>/consent          signin  ok      404     403     403     403     403     403     403
GET /window/groups                                                    signin  403     403     ok      403     403     403     403     ok
POST /window/groups                                                   signin  403     403     ok      403     403     403     403     ok
GET /window/groups/<int:group_id>                                     signin  403     403     ok      ok      404     ok      ok      ok
POST /window/groups/<int:group_id>/edit                               signin  403     403     ok      403     403     403     403     ok
POST /window/groups/<int:group_id>/introductions                      signin  403     403     ok      403     403     403     403     ok
POST /window/groups/<int:group_id>/members                            signin  403     403     ok      403     403     403     403     ok
POST /window/groups/<int:group_id>/members/<int:membership_id>/remove signin  403     403     ok      403     403     403     403     ok
POST /window/groups/<int:group_id>/publish                            signin  403     403     ok      403     403     403     403     ok
POST /window/groups/<int:group_id>/state                              signin  403     403     ok      403     403     403     403     ok
"""

EXPECTED: dict[str, dict[str, str]] = {}
for _line in _TABLE.strip().splitlines():
    _key, _outcomes = _line.rsplit(None, len(ROLES))[0], _line.split()[-len(ROLES):]
    EXPECTED[_key] = dict(zip(ROLES, _outcomes, strict=True))
