"""/survey/{token}: the customer's satisfaction survey (DOMAIN §5). No log-in: the signed,
single-use, expiring token is the key. The page shows the complaint's number, date and
category only; used, closed, expired and unknown links say so and reveal nothing."""

from __future__ import annotations

from litestar import Request, get, post

from db.revisits import SurveyLink, answer_survey, open_survey
from pages.survey.forms import SurveyForm
from portal.i18n import get_locale
from portal.timeutil import utcnow
from portal.web import form_data, render

PUBLIC = {"public": True}
# Nothing about a survey may be cached by a browser or a proxy, nor leak through Referer.
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
           "X-Robots-Tag": "noindex"}


def _form(request: Request, data=None) -> SurveyForm:
    form = SurveyForm(data)
    form.setup_questions(request.app.state.policy.revisit, get_locale())
    return form


def _closed(request: Request, state: str):
    if state == SurveyLink.UNKNOWN:
        return render(request, "survey/closed.html", status_code=404, headers=HEADERS,
                      reason="unknown")
    return render(request, "survey/closed.html", status_code=410, headers=HEADERS, reason=state)


def _page(request: Request, token: str, complaint: dict, form: SurveyForm, status: int = 200):
    return render(request, "survey/survey.html", status_code=status, headers=HEADERS,
                  token=token, complaint=complaint, form=form,
                  policy=request.app.state.policy)


@get("/survey/{token:str}", opt=PUBLIC)
async def survey_page(request: Request, token: str) -> object:
    state, complaint = await open_survey(token, utcnow(), request.app.state.env)
    if state != SurveyLink.OPEN:
        return _closed(request, state)
    return _page(request, token, complaint, _form(request))


@post("/survey/{token:str}", opt=PUBLIC)
async def survey_answer(request: Request, token: str) -> object:
    env = request.app.state.env
    state, complaint = await open_survey(token, utcnow(), env)
    if state != SurveyLink.OPEN:
        return _closed(request, state)
    form = _form(request, await form_data(request))
    if not form.validate():
        return _page(request, token, complaint, form, 422)
    state = await answer_survey(token, form.answers(), utcnow(), env)
    if state != SurveyLink.OPEN:  # the other tab was quicker
        return _closed(request, state)
    return render(request, "survey/thanks.html", headers=HEADERS)


ROUTES = [survey_page, survey_answer]
