/* /api/v1/surveys: surveys (texts in English and Persian, questions, open and close dates, anonymous mode,
 * the k threshold and the coverage target, reminders), the invitation planner, invitations to an audience, and
 * the public answer page /s/{token}. Bodies are checked on the loop thread; writes re-check on the writer and
 * audit in the same transaction. Results are in survey_results.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/surveys.h"
#include "core/sampling.h"
#include "core/stats.h"
#include "core/timefmt.h"
#include "http/http.h"
#include "http/segments.h"

static const http_text_field survey_texts[] = {
    {"title_en", offsetof(store_survey, title_en), STORE_SURVEY_TEXT_MAX + 1, true, true},
    {"title_fa", offsetof(store_survey, title_fa), STORE_SURVEY_TEXT_MAX + 1, true, true},
};

typedef struct int_field {
    const char *name;
    size_t offset; /* of an int in store_survey */
    int min, max;
} int_field;

static const int_field survey_ints[] = {
    {"k_min", offsetof(store_survey, k_min), 1, 1000},
    {"target_permille", offsetof(store_survey, target_permille), 1, 1000},
    {"reminder_days", offsetof(store_survey, reminder_days), 0, 365},
    {"reminder_max", offsetof(store_survey, reminder_max), 0, 10},
};

static const char *const survey_fields[] = {"title_en",        "title_fa",      "questions",    "opens_at",
                                            "closes_at",       "anonymous",     "k_min",        "target_permille",
                                            "reminder_days",   "reminder_max",  NULL};

static void apply_time(json_t *v, const char *name, int64_t *out, errlist *e)
{
    if (json_is_null(v)) {
        *out = 0;
        return;
    }
    int64_t ms;
    if (!json_is_string(v) || timefmt_parse(json_string_value(v), &ms) != 0)
        errlist_add(e, name, "must be an RFC 3339 time or null");
    else
        *out = ms;
}

/* Applies a create body or a merge patch to s; errors name the field. invited: the survey has invitations, so
 * its questions and anonymity are fixed (answers already given follow them). */
static void survey_apply_json(store_survey *s, json_t *body, bool creating, bool invited, errlist *e)
{
    errlist_only_fields(e, body, survey_fields);
    for (size_t i = 0; i < sizeof(survey_texts) / sizeof(survey_texts[0]); i++) {
        const http_text_field *f = &survey_texts[i];
        json_t *v = json_object_get(body, f->name);
        if (v)
            http_apply_text(f, v, (char *)s + f->offset, e);
        else if (creating)
            errlist_add(e, f->name, "is required");
    }
    for (size_t i = 0; i < sizeof(survey_ints) / sizeof(survey_ints[0]); i++) {
        const int_field *f = &survey_ints[i];
        json_t *v = json_object_get(body, f->name);
        if (v && (!json_is_integer(v) || json_integer_value(v) < f->min || json_integer_value(v) > f->max))
            errlist_add(e, f->name, "must be a whole number from %d to %d", f->min, f->max);
        else if (v)
            *(int *)((char *)s + f->offset) = (int)json_integer_value(v);
    }
    json_t *v;
    if ((v = json_object_get(body, "opens_at")))
        apply_time(v, "opens_at", &s->opens_at, e);
    if ((v = json_object_get(body, "closes_at")))
        apply_time(v, "closes_at", &s->closes_at, e);
    if (s->opens_at && s->closes_at && s->closes_at <= s->opens_at)
        errlist_add(e, "closes_at", "must be after opens_at");
    if ((v = json_object_get(body, "anonymous"))) {
        if (!json_is_boolean(v))
            errlist_add(e, "anonymous", "must be true or false");
        else if (invited && json_is_true(v) != s->anonymous)
            errlist_add(e, "anonymous", "cannot change once invitations are out");
        else
            s->anonymous = json_is_true(v);
    }
    if ((v = json_object_get(body, "questions"))) {
        json_t *q = invited ? NULL : survey_questions_check(v, e);
        if (invited)
            errlist_add(e, "questions", "cannot change once invitations are out");
        if (q) {
            json_decref(s->questions);
            s->questions = q;
        }
    } else if (creating) {
        errlist_add(e, "questions", "is required");
    }
}

static json_t *survey_json(const store_survey *s)
{
    return json_pack("{s:I, s:s, s:s, s:O, s:o, s:o, s:b, s:i, s:i, s:i, s:i, s:o, s:o}", "id", (json_int_t)s->id,
                     "title_en", s->title_en, "title_fa", s->title_fa, "questions", s->questions, "opens_at",
                     s->opens_at ? timefmt_json(s->opens_at) : json_null(), "closes_at",
                     s->closes_at ? timefmt_json(s->closes_at) : json_null(), "anonymous", s->anonymous, "k_min",
                     s->k_min, "target_permille", s->target_permille, "reminder_days", s->reminder_days,
                     "reminder_max", s->reminder_max, "created_at", timefmt_json(s->created_at), "updated_at",
                     timefmt_json(s->updated_at));
}

static void survey_defaults(store_survey *s, int64_t now)
{
    memset(s, 0, sizeof(*s));
    s->questions = json_array();
    s->k_min = 5;
    s->target_permille = 100;
    s->created_at = s->updated_at = now;
}

/* ---- writes ---- */

typedef struct survey_change {
    json_t *body;
    int64_t id;
    survey_invite inv;
} survey_change;

static void change_free(void *p)
{
    survey_change *c = p;
    json_decref(c->body);
    survey_invite_release(&c->inv);
    free(c);
}

static bool apply_on_writer(http_write *w, store_survey *s, json_t *body, bool creating, bool invited)
{
    errlist e;
    errlist_init(&e);
    survey_apply_json(s, body, creating, invited, &e);
    if (e.count == 0)
        return true;
    http_write_answer_problem(w, 400, "validation", "some fields are not valid", &e);
    return false;
}

static int create_write(store_tx *tx, http_write *w)
{
    survey_change *c = w->arg;
    store_survey s;
    survey_defaults(&s, w->now_ms);
    int status = apply_on_writer(w, &s, c->body, true, false) ? store_tx_survey_insert(tx, &s) : STORE_INVALID;
    if (status == STORE_OK)
        status = http_write_created(tx, w, "survey.create", "survey", s.id, "/api/v1/surveys", survey_json(&s));
    store_survey_release(&s);
    return status;
}

static int load_on_writer(store_tx *tx, http_write *w, int64_t id, store_survey *s)
{
    return http_write_found(w, store_tx_survey_get(tx, id, s), "survey");
}

static int update_write(store_tx *tx, http_write *w)
{
    survey_change *c = w->arg;
    store_survey s;
    int status = load_on_writer(tx, w, c->id, &s);
    if (status != STORE_OK)
        return status;
    json_t *before = survey_json(&s);
    bool invited = false;
    status = store_tx_survey_has_waves(tx, s.id, &invited);
    if (status == STORE_OK && !apply_on_writer(w, &s, c->body, false, invited))
        status = STORE_INVALID;
    s.updated_at = w->now_ms;
    if (status == STORE_OK)
        status = store_tx_survey_update(tx, &s);
    if (status == STORE_OK)
        status = http_write_updated(tx, w, "survey.update", "survey", s.id, before, survey_json(&s));
    else
        json_decref(before);
    store_survey_release(&s);
    return status;
}

static int delete_write(store_tx *tx, http_write *w)
{
    survey_change *c = w->arg;
    store_survey s;
    int status = load_on_writer(tx, w, c->id, &s);
    if (status != STORE_OK)
        return status;
    status = store_tx_survey_delete(tx, c->id);
    if (status == STORE_CONFLICT) {
        errlist e;
        errlist_init(&e);
        errlist_add(&e, "id", "has invitations out: set closes_at to end it instead");
        http_write_answer_problem(w, 409, "conflict", "a survey with invitations cannot be deleted", &e);
    }
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "survey.delete", "survey", s.id, survey_json(&s), NULL);
    store_survey_release(&s);
    if (status == STORE_OK)
        w->status = 204;
    return status;
}

static int invite_write(store_tx *tx, http_write *w)
{
    survey_change *c = w->arg;
    store_survey s;
    int status = load_on_writer(tx, w, c->id, &s);
    if (status != STORE_OK)
        return status;
    if (s.closes_at && w->now_ms >= s.closes_at) {
        errlist e;
        errlist_init(&e);
        errlist_add(&e, "closes_at", "the survey is closed");
        http_write_answer_problem(w, 409, "survey-closed", "a closed survey takes no invitations", &e);
        store_survey_release(&s);
        return STORE_INVALID;
    }
    json_t *report = NULL;
    status = survey_invite_run(tx, &s, &c->inv, w->now_ms, &report);
    if (status == STORE_INVALID) {
        errlist e;
        errlist_init(&e);
        errlist_add(&e, "audience", "has more than %d people or %d strata", SURVEY_INVITE_MAX, SAMPLING_STRATA_MAX);
        http_write_answer_problem(w, 400, "validation", "the audience is too large", &e);
    }
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "survey.invite", "survey", s.id, NULL, json_incref(report));
    if (status == STORE_OK)
        http_write_answer_json(w, 201, json_incref(report), NULL);
    json_decref(report);
    store_survey_release(&s);
    return status;
}

/* Checks the body on a scratch survey first, so bad input is answered before anything queues. */
static void submit(http_request *r, bool creating, http_write_fn fn)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    store_survey scratch;
    survey_defaults(&scratch, r->now_ms);
    errlist e;
    errlist_init(&e);
    survey_apply_json(&scratch, body, creating, false, &e);
    store_survey_release(&scratch);
    if (e.count) {
        json_decref(body);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    survey_change *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->body = body;
    c->id = r->id;
    http_write_submit(r, fn, c, change_free);
}

void http_survey_create(http_request *r) { submit(r, true, create_write); }
void http_survey_update(http_request *r) { submit(r, false, update_write); }

void http_survey_delete(http_request *r)
{
    survey_change *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->id = r->id;
    http_write_submit(r, delete_write, c, change_free);
}

#define SEGMENT_PAGE_ROWS 10000

/* Lists the members of the segment the audience names into inv (on the loop thread's reader: a dynamic segment's
 * filter is compiled here, as the segment handlers do); errors name audience.segment. */
static int segment_members(http_request *r, survey_invite *inv, errlist *e)
{
    store_segment g;
    int status = store_segment_get(r->thread->reader, inv->segment_id, &g);
    if (status == STORE_NOTFOUND)
        errlist_add(e, "audience.segment", "is not a segment");
    if (status != STORE_OK)
        return status;
    http_segment_query q;
    status = http_segment_query_open(r, &g, &q) == 0 ? STORE_OK : STORE_ERROR;
    size_t cap = 0;
    int64_t after = 0;
    for (int n = SEGMENT_PAGE_ROWS; status == STORE_OK && n == SEGMENT_PAGE_ROWS;) {
        if (inv->nids > SURVEY_INVITE_MAX) {
            errlist_add(e, "audience.segment", "has more than %d members", SURVEY_INVITE_MAX);
            break;
        }
        if (inv->nids + SEGMENT_PAGE_ROWS > cap) {
            cap = inv->nids + SEGMENT_PAGE_ROWS;
            inv->ids = realloc(inv->ids, cap * sizeof(*inv->ids));
            if (!inv->ids)
                abort();
        }
        status = store_segment_member_ids(r->thread->reader, &q.q, after, SEGMENT_PAGE_ROWS, inv->ids + inv->nids, &n);
        inv->nids += (size_t)n;
        if (n > 0)
            after = inv->ids[inv->nids - 1];
    }
    http_segment_query_close(&q);
    store_segment_release(&g);
    return status;
}

/* POST /api/v1/surveys/{id}/invitations {audience, sample, seed, stratify_by}. */
void http_survey_invite(http_request *r)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    survey_change *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->body = body;
    c->id = r->id;
    errlist e;
    errlist_init(&e);
    if (!json_is_object(body))
        errlist_add(&e, "", "the body must be a JSON object");
    else
        survey_invite_parse(body, &c->inv, &e);
    if (e.count == 0 && strcmp(c->inv.audience, "contact_kind") == 0 && c->inv.value[0] &&
        !http_contact_kind_ok(c->inv.value))
        errlist_add(&e, "audience.contact_kind", "must be all, staff, partner, sponsor, press or other");
    if (e.count == 0 && c->inv.segment_id && segment_members(r, &c->inv, &e) != STORE_OK && e.count == 0) {
        change_free(c);
        http_reply_problem(r, 500, "internal", "the segment's members could not be read", NULL);
        return;
    }
    if (e.count) {
        change_free(c);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    c->inv.survey_id = r->id;
    http_write_submit(r, invite_write, c, change_free);
}

/* ---- reads ---- */

void http_survey_get(http_request *r)
{
    store_survey s;
    int status = store_survey_get(r->thread->reader, r->id, &s);
    if (status != STORE_OK) {
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           status == STORE_NOTFOUND ? "there is no survey with this id" : "the survey could not be read",
                           NULL);
        return;
    }
    json_t *o = survey_json(&s);
    store_survey_release(&s);
    http_reply_json(r, 200, o);
}

static void append_survey(const store_survey *s, void *items) { json_array_append_new(items, survey_json(s)); }

static int list_surveys(store_reader *rd, int64_t after_id, int want, json_t *items, void *arg)
{
    int count;
    return store_survey_list(rd, after_id, want, append_survey, items, &count);
}

void http_survey_list(http_request *r) { http_reply_list(r, list_surveys, NULL, "the surveys"); }

/* A number query parameter in [min, max]; errors name it. */
static double query_number(http_request *r, const char *name, double min, double max, double dflt, errlist *e)
{
    char text[32];
    if (!http_query(r, name, text, sizeof(text), e))
        return dflt;
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !(v >= min && v <= max)) {
        errlist_add(e, name, "must be a number from %g to %g", min, max);
        return dflt;
    }
    return v;
}

/* GET /api/v1/surveys/plan?population=N&margin_of_error=0.05&response_rate=0.3[&proportion=0.5]: how many to
 * invite for a wanted margin of error. */
void http_survey_plan(http_request *r)
{
    static const char *const allowed[] = {"population", "margin_of_error", "response_rate", "proportion", NULL};
    if (!http_query_only(r, allowed))
        return;
    errlist e;
    errlist_init(&e);
    double n = query_number(r, "population", 1, 1e12, 0, &e);
    double moe = query_number(r, "margin_of_error", 0.001, 0.5, 0.05, &e);
    double rate = query_number(r, "response_rate", 0.001, 1, 1, &e);
    double p = query_number(r, "proportion", 0.01, 0.99, 0.5, &e);
    if (e.count == 0 && n < 1)
        errlist_add(&e, "population", "is required");
    stats_plan plan;
    if (e.count == 0 && stats_sample_size(moe, p, rate, (int64_t)n, &plan) != 0)
        errlist_add(&e, "margin_of_error", "cannot be planned");
    if (e.count) {
        http_reply_problem(r, 400, "validation", "some query parameters are not valid", &e);
        return;
    }
    http_reply_json(r, 200, json_pack("{s:I, s:f, s:f, s:I, s:I, s:b}", "population", (json_int_t)n,
                                      "margin_of_error", moe, "response_rate", rate, "answers_needed",
                                      (json_int_t)plan.answers_needed, "invite", (json_int_t)plan.invite, "capped",
                                      plan.capped));
}

/* ---- the public answer page ---- */

/* The token of /s/{token} (checked by the router: 1 to 64 URL-safe characters). */
static void path_token(http_request *r, char out[72])
{
    const char *p = r->req->path_normalized.base;
    size_t len = r->req->path_normalized.len;
    snprintf(out, 72, "%.*s", (int)(len > 3 ? len - 3 : 0), p + 3);
}

/* The invited person's locale ("en" or "fa"; "en" when the person is gone), so the page speaks their language. */
static void person_locale(http_request *r, const store_invitation *v, char out[8])
{
    snprintf(out, 8, "en");
    if (strcmp(v->person_kind, "member") == 0) {
        member m;
        if (store_member_get(r->thread->reader, v->person_id, &m) == STORE_OK) {
            snprintf(out, 8, "%s", strcmp(m.locale, "fa") == 0 ? "fa" : "en");
            member_release(&m);
        }
    } else if (v->person_id) {
        store_contact c;
        if (store_contact_get(r->thread->reader, v->person_id, &c) == STORE_OK) {
            snprintf(out, 8, "%s", strcmp(c.person.locale, "fa") == 0 ? "fa" : "en");
            store_contact_release(&c);
        }
    }
}

/* GET /s/{token}: a browser opening the personal link gets the web app's page (which reads this same address
 * as JSON); anything else gets the JSON. The answer depends on Accept, so caches are told. */
void http_survey_public_get(http_request *r)
{
    h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_VARY, NULL, H2O_STRLIT("Accept"));
    if (http_prefers_html(r->req) && http_static_send_index(r))
        return;
    char token[72];
    path_token(r, token);
    uint8_t hash[32];
    survey_token_hash(token, hash);
    store_invitation v;
    store_survey s;
    int status = store_invitation_by_token(r->thread->reader, hash, &v);
    if (status == STORE_OK)
        status = store_survey_get(r->thread->reader, v.survey_id, &s);
    if (status != STORE_OK) {
        errlist e;
        errlist_init(&e);
        errlist_add(&e, "token", "is not a survey link");
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           "there is no survey at this link", status == STORE_NOTFOUND ? &e : NULL);
        return;
    }
    bool open = !(s.closes_at && r->now_ms >= s.closes_at) && !(s.opens_at && r->now_ms < s.opens_at);
    char locale[8];
    person_locale(r, &v, locale);
    json_t *o = json_pack("{s:s, s:s, s:O, s:o, s:b, s:b, s:b, s:s}", "title_en", s.title_en, "title_fa", s.title_fa,
                          "questions", s.questions, "closes_at", s.closes_at ? timefmt_json(s.closes_at) : json_null(),
                          "anonymous", s.anonymous, "open", open, "answered", v.answered_at != 0, "locale", locale);
    store_survey_release(&s);
    http_reply_json(r, 200, o);
}

typedef struct answer_job {
    char token[72];
    json_t *answers;
} answer_job;

static void answer_free(void *p)
{
    answer_job *a = p;
    json_decref(a->answers);
    free(a);
}

static int answer_write(store_tx *tx, http_write *w)
{
    answer_job *a = w->arg;
    int code = 500;
    const char *slug = "internal";
    errlist e;
    errlist_init(&e);
    int status = survey_answer_run(tx, a->token, a->answers, w->now_ms, &code, &slug, &e);
    if (status == STORE_OK)
        http_write_answer_json(w, 201, json_pack("{s:b}", "answered", 1), NULL);
    else if (e.count)
        http_write_answer_problem(w, code, slug, code == 400 ? "some answers are not valid" : e.items[0].message, &e);
    return status == STORE_OK ? STORE_OK : status == STORE_ERROR ? STORE_ERROR : STORE_INVALID;
}

/* POST /s/{token} {"answers": {...}}: the checks that need the survey run on the writer, with the link. */
void http_survey_public_answer(http_request *r)
{
    static const char *const allowed[] = {"answers", NULL};
    errlist e;
    json_t *body = http_body_fields(r, allowed, &e);
    if (!body)
        return;
    json_t *answers = json_object_get(body, "answers");
    if (!json_is_object(answers))
        errlist_add(&e, "answers", "is required: an object, question key -> answer");
    if (e.count) {
        json_decref(body);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    answer_job *a = calloc(1, sizeof(*a));
    if (!a)
        abort();
    path_token(r, a->token);
    a->answers = json_incref(answers);
    json_decref(body);
    http_write_submit(r, answer_write, a, answer_free);
}
