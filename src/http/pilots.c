/* The pilot, evaluation, decision and roll-out endpoints of a campaign (docs/campaigns.md):
 *   POST /api/v1/campaigns/{id}/pilot          the draw (sample and control), state draft -> pilot
 *   GET  /api/v1/campaigns/{id}/pilot          the waves and decisions so far
 *   GET  /api/v1/campaigns/{id}/pilot/preview  what a pilot of these sizes can detect, before any draw
 *   GET  /api/v1/campaigns/{id}/evaluation     the metric per arm, the test, the sample-ratio check
 *   POST /api/v1/campaigns/{id}/decision       roll_out | extend | stop, with the evaluation it was made on
 *   POST /api/v1/campaigns/{id}/rollout        the rest of the audience less a holdout, state -> running
 * Segments an audience or a stratification names are listed here on the loop thread (a dynamic segment's filter
 * compiles here); the draw itself runs on the writer (src/app/pilots.c). */
#include <stdlib.h>
#include <string.h>

#include "app/campaigns.h"
#include "app/pilots.h"
#include "http/http.h"
#include "http/segments.h"

#define SEGMENT_PAGE_ROWS 10000
#define DECISION_REASON_MAX 2000

typedef struct pilot_job {
    int64_t id;
    pilot_request p;
    char decision[16];
    char *reason;
    char *evaluation; /* compact JSON */
} pilot_job;

static void job_free(void *arg)
{
    pilot_job *j = arg;
    pilot_request_release(&j->p);
    free(j->reason);
    free(j->evaluation);
    free(j);
}

static pilot_job *job_new(int64_t id)
{
    pilot_job *j = calloc(1, sizeof(*j));
    if (!j)
        abort();
    j->id = id;
    return j;
}

/* Lists segment id's members (in id order) into *ids; errors name field. */
static int segment_list(http_request *r, int64_t id, const char *field, int64_t **ids, size_t *n, errlist *e)
{
    store_segment g;
    int status = store_segment_get(r->thread->reader, id, &g);
    if (status == STORE_NOTFOUND)
        errlist_add(e, field, "names no segment (%lld)", (long long)id);
    if (status != STORE_OK)
        return status;
    http_segment_query q;
    status = http_segment_query_open(r, &g, &q) == 0 ? STORE_OK : STORE_ERROR;
    size_t cap = 0;
    int64_t after = 0;
    for (int got = SEGMENT_PAGE_ROWS; status == STORE_OK && got == SEGMENT_PAGE_ROWS;) {
        if (*n > PILOT_AUDIENCE_MAX) {
            errlist_add(e, field, "has more than %d members", PILOT_AUDIENCE_MAX);
            break;
        }
        if (*n + SEGMENT_PAGE_ROWS > cap) {
            cap = *n + SEGMENT_PAGE_ROWS;
            *ids = realloc(*ids, cap * sizeof(**ids));
            if (!*ids)
                abort();
        }
        status = store_segment_member_ids(r->thread->reader, &q.q, after, SEGMENT_PAGE_ROWS, *ids + *n, &got);
        *n += (size_t)got;
        if (got > 0)
            after = (*ids)[*n - 1];
    }
    http_segment_query_close(&q);
    store_segment_release(&g);
    return status;
}

/* Reads the campaign on the loop thread; replies 404 or 500 and returns false when it cannot. */
static bool campaign_load(http_request *r, store_pilot_campaign *c)
{
    int status = store_pilot_campaign_get(r->thread->reader, r->id, c);
    if (status == STORE_NOTFOUND)
        http_reply_problem(r, 404, "not-found", "there is no campaign with this id", NULL);
    else if (status != STORE_OK)
        http_reply_problem(r, 500, "internal", "the campaign could not be read", NULL);
    return status == STORE_OK;
}

/* The segments a draw needs, listed into p; false after replying. */
static bool segments_read(http_request *r, const store_pilot_campaign *c, pilot_request *p)
{
    errlist e;
    errlist_init(&e);
    int status = STORE_OK;
    if (strcmp(c->audience_kind, "segment") == 0)
        status = segment_list(r, c->audience_segment, "audience.segment_id", &p->audience_ids, &p->naudience, &e);
    for (int i = 0; status == STORE_OK && e.count == 0 && i < p->nsegments; i++)
        status = segment_list(r, p->segments[i], "segments", &p->segment_ids[i], &p->segment_n[i], &e);
    if (e.count) {
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return false;
    }
    if (status != STORE_OK) {
        http_reply_problem(r, 500, "internal", "the segment's members could not be read", NULL);
        return false;
    }
    return true;
}

/* Answers a refused or failed draw from the writer. */
static void answer_refusal(http_write *w, int status, int http_status, const errlist *e)
{
    if (status == STORE_NOTFOUND || http_status == 404)
        http_write_answer_problem(w, 404, "not-found", "there is no campaign with this id", NULL);
    else if (http_status == 409)
        http_write_answer_problem(w, 409, "conflict", "the campaign is not in a state for this", e);
    else if (status == STORE_INVALID)
        http_write_answer_problem(w, 400, "validation", "some fields are not valid", e);
}

typedef int (*draw_fn)(store_tx *tx, int64_t campaign_id, const pilot_request *p, const char *actor, int64_t now,
                       json_t **report, int *http_status, errlist *e);

static int draw_write(store_tx *tx, http_write *w, draw_fn fn, const char *action)
{
    pilot_job *j = w->arg;
    errlist e;
    errlist_init(&e);
    json_t *report = NULL;
    int http_status = 0;
    int status = fn(tx, j->id, &j->p, w->who.key, w->now_ms, &report, &http_status, &e);
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, action, "campaign", j->id, NULL, json_incref(report));
    if (status == STORE_OK)
        http_write_answer_json(w, 201, json_incref(report), NULL);
    else
        answer_refusal(w, status, http_status, &e);
    json_decref(report);
    return status;
}

static int pilot_write(store_tx *tx, http_write *w) { return draw_write(tx, w, pilot_draw_run, "campaign.pilot"); }
static int rollout_write(store_tx *tx, http_write *w)
{
    return draw_write(tx, w, pilot_rollout_run, "campaign.rollout");
}

static void draw_submit(http_request *r, bool rollout)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    pilot_job *j = job_new(r->id);
    errlist e;
    errlist_init(&e);
    if (!json_is_object(body))
        errlist_add(&e, "", "the body must be a JSON object");
    else if (rollout)
        pilot_rollout_parse(body, &j->p, &e);
    else
        pilot_parse(body, &j->p, &e);
    json_decref(body);
    if (e.count) {
        job_free(j);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    store_pilot_campaign c;
    if (!campaign_load(r, &c) || !segments_read(r, &c, &j->p)) {
        job_free(j);
        return;
    }
    if (!rollout)
        j->p.has_baseline = pilot_baseline(r->thread->reader, &c, r->now_ms, &j->p.baseline) == STORE_OK;
    http_write_submit(r, rollout ? rollout_write : pilot_write, j, job_free);
}

void http_campaign_pilot(http_request *r) { draw_submit(r, false); }
void http_campaign_rollout(http_request *r) { draw_submit(r, true); }

void http_campaign_pilot_get(http_request *r)
{
    store_pilot_campaign c;
    if (!campaign_load(r, &c))
        return;
    json_t *waves = json_array(), *decisions = json_array();
    if (store_pilot_history(r->thread->reader, c.id, waves, decisions) != STORE_OK) {
        json_decref(waves), json_decref(decisions);
        http_reply_problem(r, 500, "internal", "the campaign's waves could not be read", NULL);
        return;
    }
    http_reply_json(r, 200, json_pack("{s:I, s:s, s:s, s:o, s:o}", "campaign_id", (json_int_t)c.id, "state", c.state,
                                      "metric", c.metric, "waves", waves, "decisions", decisions));
}

/* GET .../pilot/preview?sample=N|share&control=N|share: the audience not yet drawn and the MDE for these sizes. */
void http_campaign_pilot_preview(http_request *r)
{
    static const char *const allowed[] = {"sample", "control", NULL};
    if (!http_query_only(r, allowed))
        return;
    errlist e;
    errlist_init(&e);
    char text[64];
    pilot_size sample = {.count = -1, .share = 0.05}, control = {.count = -1, .share = 0.05};
    if (http_query(r, "sample", text, sizeof(text), &e))
        pilot_size_parse_text(text, "sample", &sample, &e);
    if (http_query(r, "control", text, sizeof(text), &e))
        pilot_size_parse_text(text, "control", &control, &e);
    if (e.count) {
        http_reply_problem(r, 400, "validation", "some query parameters are not valid", &e);
        return;
    }
    store_pilot_campaign c;
    pilot_request p = {0};
    if (!campaign_load(r, &c) || !segments_read(r, &c, &p)) {
        pilot_request_release(&p);
        return;
    }
    int64_t audience = 0;
    store_sums base = {0};
    int status = store_pilot_candidate_count(r->thread->reader, &c, p.audience_ids, p.naudience, &audience);
    bool has = status == STORE_OK && pilot_baseline(r->thread->reader, &c, r->now_ms, &base) == STORE_OK;
    pilot_request_release(&p);
    if (status != STORE_OK) {
        http_reply_problem(r, 500, "internal", "the audience could not be counted", NULL);
        return;
    }
    int64_t n_t = pilot_size_count(&sample, audience), n_c = pilot_size_count(&control, audience);
    if (n_t > audience)
        errlist_add(&e, "sample", "asks for %lld members, more than the %lld of the audience not yet drawn",
                    (long long)n_t, (long long)audience);
    else if (n_t + n_c > audience)
        errlist_add(&e, "control", "would overlap the pilot: %lld + %lld is more than the %lld not yet drawn",
                    (long long)n_t, (long long)n_c, (long long)audience);
    json_t *out = pilot_mde_json(&c, has ? &base : NULL, n_t, n_c);
    json_object_set_new(out, "audience_size", json_integer(audience));
    json_object_set_new(out, "fits", json_boolean(e.count == 0));
    if (e.count) {
        json_decref(out);
        http_reply_problem(r, 400, "validation", "the sizes do not fit the audience", &e);
        return;
    }
    http_reply_json(r, 200, out);
}

/* The evaluation on the loop thread; false after replying. */
static bool evaluate(http_request *r, const store_pilot_campaign *c, const char *arms, json_t **out)
{
    int status = pilot_evaluate(r->thread->reader, c, arms, r->now_ms, out);
    if (status == STORE_INVALID) {
        errlist e;
        errlist_init(&e);
        errlist_add(&e, "survey_id", "must name a survey with an NPS question to measure nps");
        http_reply_problem(r, 409, "conflict", "the campaign's metric cannot be measured", &e);
    } else if (status != STORE_OK) {
        http_reply_problem(r, 500, "internal", "the evaluation could not be read", NULL);
    }
    return status == STORE_OK;
}

void http_campaign_evaluation(http_request *r)
{
    static const char *const allowed[] = {"arms", NULL};
    if (!http_query_only(r, allowed))
        return;
    errlist e;
    errlist_init(&e);
    char arms[16] = "pilot";
    if (http_query(r, "arms", arms, sizeof(arms), &e) && strcmp(arms, "pilot") != 0 && strcmp(arms, "rollout") != 0)
        errlist_add(&e, "arms", "must be pilot or rollout");
    if (e.count) {
        http_reply_problem(r, 400, "validation", "some query parameters are not valid", &e);
        return;
    }
    store_pilot_campaign c;
    json_t *out;
    if (campaign_load(r, &c) && evaluate(r, &c, arms, &out))
        http_reply_json(r, 200, out);
}

static int decision_write(store_tx *tx, http_write *w)
{
    static const char *const allowed[] = {"pilot", "evaluating", "running", NULL};
    pilot_job *j = w->arg;
    store_pilot_campaign c;
    int status = store_tx_pilot_campaign(tx, j->id, &c);
    errlist e;
    errlist_init(&e);
    bool ok_state = false;
    for (int i = 0; status == STORE_OK && allowed[i]; i++)
        ok_state = ok_state || strcmp(c.state, allowed[i]) == 0;
    if (status == STORE_OK && (!ok_state || (strcmp(c.state, "running") == 0 && strcmp(j->decision, "stop") != 0))) {
        errlist_add(&e, "state", "is %s: a decision needs a campaign in pilot or evaluating (stop: also running)",
                    c.state);
        answer_refusal(w, STORE_INVALID, 409, &e);
        return STORE_INVALID;
    }
    int64_t id = 0;
    if (status == STORE_OK)
        status = store_tx_pilot_decision_insert(tx, j->id, j->decision, j->reason, j->evaluation, w->who.key,
                                                w->now_ms, &id);
    if (status == STORE_OK && strcmp(j->decision, "stop") == 0)
        status = campaigns_state_change(tx, j->id, c.state, "stopped", w->who.key, j->reason, w->now_ms);
    json_t *out = json_pack("{s:I, s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t)id, "campaign_id", (json_int_t)j->id,
                            "decision", j->decision, "reason", j->reason, "state",
                            strcmp(j->decision, "stop") == 0 ? "stopped" : c.state, "evaluation",
                            json_loads(j->evaluation, 0, NULL));
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "campaign.decision", "campaign", j->id, NULL,
                                json_incref(out));
    if (status == STORE_OK)
        http_write_answer_json(w, 201, json_incref(out), NULL);
    else
        answer_refusal(w, status, 0, &e);
    json_decref(out);
    return status;
}

/* POST .../decision {"decision": roll_out|extend|stop, "reason"}: stored with the evaluation as it is now. */
void http_campaign_decision(http_request *r)
{
    static const char *const fields[] = {"decision", "reason", "arms", NULL};
    json_t *body = http_body_json(r);
    if (!body)
        return;
    errlist e;
    errlist_init(&e);
    if (!json_is_object(body))
        errlist_add(&e, "", "the body must be a JSON object");
    else
        errlist_only_fields(&e, body, fields);
    const char *d = json_string_value(json_object_get(body, "decision"));
    const char *why = json_string_value(json_object_get(body, "reason"));
    const char *arms = json_string_value(json_object_get(body, "arms"));
    if (!d || (strcmp(d, "roll_out") != 0 && strcmp(d, "extend") != 0 && strcmp(d, "stop") != 0))
        errlist_add(&e, "decision", "must be roll_out, extend or stop");
    if (!why || !why[0] || strlen(why) > DECISION_REASON_MAX)
        errlist_add(&e, "reason", "is required, at most %d bytes", DECISION_REASON_MAX);
    if (json_object_get(body, "arms") && (!arms || (strcmp(arms, "pilot") != 0 && strcmp(arms, "rollout") != 0)))
        errlist_add(&e, "arms", "must be pilot or rollout");
    if (e.count) {
        json_decref(body);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    pilot_job *j = job_new(r->id);
    snprintf(j->decision, sizeof(j->decision), "%s", d);
    j->reason = strdup(why);
    char arms_copy[16];
    snprintf(arms_copy, sizeof(arms_copy), "%s", arms ? arms : "pilot");
    json_decref(body);
    store_pilot_campaign c;
    json_t *ev;
    if (!j->reason || !campaign_load(r, &c) || !evaluate(r, &c, arms_copy, &ev)) {
        job_free(j);
        return;
    }
    j->evaluation = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    if (!j->evaluation)
        abort();
    http_write_submit(r, decision_write, j, job_free);
}
