/* /api/v1/campaigns: campaigns with their audience, offer, budget and guard rails, their changes of state, and the
 * launch. Bodies are checked on the loop thread (with the guard rails, which read the audience's recent spend on
 * the thread's reader); the writer re-applies them to the current record inside its savepoint, checks what only it
 * can (the budget against what is spent, the state, the segment and reward named), audits and answers. Granting
 * is the executor's (app/campaigns.c), run by the job table. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/campaigns.h"
#include "core/timefmt.h"
#include "http/http.h"
#include "jobs/jobs.h"

#define DAY_MS (24LL * 3600 * 1000)
#define GUARD_RECENT_DAYS 90 /* the audience's recent spend: the last 90 days */
#define GUARD_WINDOW_DAYS_DEFAULT 30 /* a campaign without an end is judged over 30 days */
#define REASON_MAX 500

static const http_text_field campaign_texts[] = {
    {"name", offsetof(store_campaign, name), STORE_CAMPAIGN_NAME_MAX + 1, true, true},
    {"goal", offsetof(store_campaign, goal), STORE_CAMPAIGN_TEXT_MAX + 1, false, false},
};

static const char *const campaign_fields[] = {"name", "goal", "metric", "metric_days", "survey_id", "audience",
                                              "offer", "message", "budget", "starts_at", "ends_at", "holdout_share",
                                              NULL};
/* What may change once a campaign has left its draft. */
static const char *const live_fields[] = {"name", "goal", "ends_at", "budget", NULL};
static const char *const metrics[] = {"redemption_rate", "repeat_purchase", "spend_per_member", "points_earned",
                                      "nps", NULL};

typedef struct campaign_change {
    json_t *body;
    int64_t id;
    bool has_guard;
    campaign_guard guard;
    int64_t guard_at; /* when it was estimated (0: now, at the save that answers with it) */
    int guard_discount_max, guard_giveback_max;
    /* POST .../state */
    char to[16];
    char reason[REASON_MAX + 1];
    int64_t seed;
    bool may_decide;
} campaign_change;

static void change_free(void *p)
{
    campaign_change *c = p;
    json_decref(c->body);
    free(c);
}

static void set_json(char **dst, json_t *v)
{
    free(*dst);
    *dst = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (v && !*dst)
        abort(); /* out of memory */
}

static void apply_time(json_t *body, const char *name, int64_t *dst, errlist *e)
{
    json_t *v = json_object_get(body, name);
    int64_t at;
    if (!v)
        return;
    if (json_is_null(v))
        *dst = 0;
    else if (!json_is_string(v) || timefmt_parse(json_string_value(v), &at) != 0)
        errlist_add(e, name, "must be an RFC 3339 time such as 2026-11-25T18:30:00+03:30, or null");
    else
        *dst = at;
}

static void apply_budget(store_campaign *c, json_t *v, bool creating, errlist *e)
{
    static const char *const fields[] = {"money", "points", NULL};
    if (!v) {
        if (creating)
            errlist_add(e, "budget", "is required: {\"money\": minor units, \"points\": points}");
        return;
    }
    if (!json_is_object(v)) {
        errlist_add(e, "budget", "must be an object {\"money\": minor units, \"points\": points}");
        return;
    }
    errlist mine;
    errlist_init(&mine);
    errlist_only_fields(&mine, v, fields);
    for (int i = 0; i < mine.count; i++)
        errlist_add(e, "budget", "has only money and points");
    const char *names[] = {"money", "points"};
    int64_t *dst[] = {&c->budget_money_minor, &c->budget_points};
    for (int i = 0; i < 2; i++) {
        json_t *x = json_object_get(v, names[i]);
        char field[32];
        snprintf(field, sizeof(field), "budget.%s", names[i]);
        if (!x && creating)
            errlist_add(e, field, "is required");
        else if (x && (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > CAMPAIGN_BUDGET_MAX))
            errlist_add(e, field, "must be a whole number from 0 to 10^15");
        else if (x)
            *dst[i] = json_integer_value(x);
    }
}

static void apply_message(store_campaign *c, json_t *v, errlist *e)
{
    static const char *const fields[] = {"channel", "subject", "body", NULL};
    if (json_is_null(v)) {
        set_json(&c->message, NULL);
        return;
    }
    const char *ch = json_string_value(json_object_get(v, "channel"));
    json_t *body = json_object_get(v, "body");
    if (!json_is_object(v)) {
        errlist_add(e, "message", "must be an object {channel, subject, body} or null");
        return;
    }
    errlist_only_fields(e, v, fields);
    if (!ch || (strcmp(ch, "sms") != 0 && strcmp(ch, "email") != 0 && strcmp(ch, "inbox") != 0))
        errlist_add(e, "message.channel", "must be sms, email or inbox");
    const char *langs[] = {"en", "fa"};
    for (int i = 0; i < 2; i++) {
        json_t *t = json_object_get(body, langs[i]);
        char field[32];
        snprintf(field, sizeof(field), "message.body.%s", langs[i]);
        if (!json_is_string(t) || json_string_length(t) == 0 || json_string_length(t) > 4000)
            errlist_add(e, field, "must be text of 1 to 4000 bytes");
    }
    json_t *subject = json_object_get(v, "subject");
    if (subject && !json_is_null(subject) && (!json_is_object(subject) ||
                                              !json_is_string(json_object_get(subject, "en")) ||
                                              !json_is_string(json_object_get(subject, "fa"))))
        errlist_add(e, "message.subject", "must be {\"en\": text, \"fa\": text} or null");
    set_json(&c->message, v);
}

static void apply_choices(store_campaign *c, json_t *body, errlist *e)
{
    json_t *metric = json_object_get(body, "metric");
    if (metric) {
        bool ok = false;
        for (const char *const *m = metrics; json_is_string(metric) && *m && !ok; m++)
            ok = strcmp(json_string_value(metric), *m) == 0;
        if (!ok)
            errlist_add(e, "metric", "must be one of redemption_rate, repeat_purchase, spend_per_member, "
                                     "points_earned, nps");
        else
            snprintf(c->metric, sizeof(c->metric), "%s", json_string_value(metric));
    }
    json_t *days = json_object_get(body, "metric_days");
    if (days && (!json_is_integer(days) || json_integer_value(days) < 1 || json_integer_value(days) > 365))
        errlist_add(e, "metric_days", "must be a whole number of days from 1 to 365");
    else if (days)
        c->metric_days = (int)json_integer_value(days);
    json_t *survey = json_object_get(body, "survey_id");
    if (survey && !json_is_null(survey) && (!json_is_integer(survey) || json_integer_value(survey) < 1))
        errlist_add(e, "survey_id", "must be a survey's id or null");
    else if (survey)
        c->survey_id = json_is_null(survey) ? 0 : json_integer_value(survey);
    json_t *hold = json_object_get(body, "holdout_share");
    if (hold && (!json_is_number(hold) || json_number_value(hold) < 0 || json_number_value(hold) > 0.5))
        errlist_add(e, "holdout_share", "must be a share from 0 to 0.5");
    else if (hold)
        c->holdout_share_permille = (int)(json_number_value(hold) * 1000 + 0.5);
}

/* Applies a create body or a merge patch to c; errors name the field. */
static void campaign_apply_json(store_campaign *c, json_t *body, bool creating, errlist *e)
{
    errlist_only_fields(e, body, campaign_fields);
    if (!creating && strcmp(c->state, "draft") != 0) {
        const char *key;
        json_t *v;
        json_object_foreach(body, key, v) {
            bool ok = false;
            for (const char *const *f = live_fields; *f && !ok; f++)
                ok = strcmp(key, *f) == 0;
            if (!ok && strlen(key) < 40) {
                for (const char *const *f = campaign_fields; *f; f++)
                    if (strcmp(key, *f) == 0)
                        errlist_add(e, key, "cannot change once the campaign has left its draft (state %s)", c->state);
            }
        }
    }
    for (size_t i = 0; i < sizeof(campaign_texts) / sizeof(campaign_texts[0]); i++) {
        const http_text_field *f = &campaign_texts[i];
        json_t *v = json_object_get(body, f->name);
        if (v)
            http_apply_text(f, v, (char *)c + f->offset, e);
        else if (creating && f->required)
            errlist_add(e, f->name, "is required");
    }
    apply_choices(c, body, e);
    json_t *aud = json_object_get(body, "audience"), *offer = json_object_get(body, "offer");
    campaign_audience a;
    campaign_offer o;
    if (aud && campaign_audience_parse(aud, &a, e) == 0) {
        json_t *j = campaign_audience_json(&a);
        set_json(&c->audience, j);
        json_decref(j);
    } else if (!aud && creating) {
        errlist_add(e, "audience", "is required: {\"kind\": \"all\" | \"segment\" | \"class\"}");
    }
    if (offer && campaign_offer_parse(offer, &o, e) == 0) {
        json_t *j = campaign_offer_json(&o);
        set_json(&c->offer, j);
        json_decref(j);
    } else if (!offer && creating) {
        errlist_add(e, "offer", "is required: {\"kind\": ...}");
    }
    json_t *msg = json_object_get(body, "message");
    if (msg)
        apply_message(c, msg, e);
    apply_budget(c, json_object_get(body, "budget"), creating, e);
    apply_time(body, "starts_at", &c->starts_at, e);
    apply_time(body, "ends_at", &c->ends_at, e);
    if (c->starts_at && c->ends_at && c->ends_at <= c->starts_at)
        errlist_add(e, "ends_at", "must be after starts_at");
    if (strcmp(c->metric, "nps") == 0 && c->survey_id == 0)
        errlist_add(e, "survey_id", "is required for the metric nps");
}

/* ---- the guard rails ---- */

static json_t *guard_json(const campaign_change *c)
{
    if (!c->has_guard)
        return json_null();
    const campaign_guard *g = &c->guard;
    return json_pack("{s:I, s:i, s:I, s:i, s:I, s:I, s:b, s:o}", "discount_permille", (json_int_t)g->discount_permille,
                     "discount_max_permille", c->guard_discount_max, "giveback_permille",
                     (json_int_t)g->giveback_permille, "giveback_max_permille", c->guard_giveback_max,
                     "give_max_minor", (json_int_t)g->give_max_minor, "revenue_minor", (json_int_t)g->revenue_minor,
                     "ok", g->discount_permille <= c->guard_discount_max && g->giveback_permille <= c->guard_giveback_max,
                     "estimated_at", timefmt_json(c->guard_at));
}

/* The estimate a save made (or none) onto c's row, as of now. */
static int guard_store(store_tx *tx, store_campaign *c, campaign_change *ch, int64_t now)
{
    ch->guard_at = ch->has_guard ? now : 0;
    c->guard_discount_permille = ch->guard.discount_permille;
    c->guard_giveback_permille = ch->guard.giveback_permille;
    c->guard_give_max_minor = ch->guard.give_max_minor;
    c->guard_revenue_minor = ch->guard.revenue_minor;
    c->guard_at = ch->guard_at;
    return store_tx_campaign_guard_set(tx, c);
}

/* The estimate stored with c, against the programme's ceilings as they are now. */
static void guard_stored(http_request *r, const store_campaign *c, campaign_change *out)
{
    store_programme p;
    if (!c->guard_at || store_programme_read(r->thread->reader, &p) != STORE_OK)
        return;
    out->has_guard = true;
    out->guard = (campaign_guard){c->guard_discount_permille, c->guard_giveback_permille, c->guard_give_max_minor,
                                  c->guard_revenue_minor};
    out->guard_at = c->guard_at;
    out->guard_discount_max = p.guard_discount_max_permille;
    out->guard_giveback_max = p.guard_giveback_max_permille;
}

/* Estimates the guard rails of c from its audience's recent spend (the thread's reader). 0, or -1 when they cannot
 * be read (the audience's segment is gone: the writer names it). */
static int guard_compute(http_request *r, const store_campaign *c, campaign_change *out)
{
    store_programme p;
    campaign_guard_input in = {0};
    json_t *o = c->offer ? json_loads(c->offer, 0, NULL) : NULL;
    errlist e;
    errlist_init(&e);
    int bad = !o || campaign_offer_parse(o, &in.offer, &e) != 0;
    json_decref(o);
    if (bad || store_programme_read(r->thread->reader, &p) != STORE_OK)
        return -1;
    store_campaign_audience a;
    segment_sql sql;
    char cls[CAMPAIGN_CLASS_MAX];
    store_campaign_audience_stats st;
    int status = campaign_audience_open(NULL, r->thread->reader, c->audience, r->now_ms, &a, &sql, cls, sizeof(cls));
    if (status == STORE_OK)
        status = store_campaign_audience_stats_read(r->thread->reader, &a, r->now_ms - GUARD_RECENT_DAYS * DAY_MS, &st);
    segment_sql_release(&sql);
    store_reward rw;
    if (status == STORE_OK &&
        (in.offer.kind == CAMPAIGN_OFFER_FREE_REWARD || in.offer.kind == CAMPAIGN_OFFER_GIFT)) {
        status = store_reward_get(r->thread->reader, in.offer.reward_id, &rw);
        in.reward_cost_minor = status == STORE_OK ? rw.cost_minor : 0;
    }
    if (status != STORE_OK)
        return -1;
    int64_t from = c->starts_at ? c->starts_at : r->now_ms;
    in.point_value_minor = p.point_value_minor;
    in.audience_members = st.members;
    in.audience_purchases = st.purchases;
    in.audience_spend_minor = st.spend_minor;
    in.audience_points = st.points;
    in.recent_days = GUARD_RECENT_DAYS;
    in.window_days = c->ends_at > from ? (c->ends_at - from + DAY_MS - 1) / DAY_MS : GUARD_WINDOW_DAYS_DEFAULT;
    in.budget_points = c->budget_points;
    in.budget_money_minor = c->budget_money_minor;
    campaign_guard_compute(&in, &out->guard);
    out->has_guard = true;
    out->guard_discount_max = p.guard_discount_max_permille;
    out->guard_giveback_max = p.guard_giveback_max_permille;
    return 0;
}

/* The offer's field a discount ceiling names. */
static const char *offer_value_field(const store_campaign *c)
{
    if (!c->offer)
        return "offer";
    if (strstr(c->offer, "\"multiplier\""))
        return "offer.factor";
    if (strstr(c->offer, "\"bonus_points\""))
        return "offer.points";
    if (strstr(c->offer, "reward_id"))
        return "offer.reward_id";
    return "offer";
}

static void guard_check(const store_campaign *c, const campaign_change *ch, errlist *e)
{
    if (!ch->has_guard)
        return;
    if (ch->guard.discount_permille > ch->guard_discount_max)
        errlist_add(e, offer_value_field(c), "gives %lld per mille of the purchase it rewards; the club's ceiling is "
                    "%d (guard_discount_max_permille)", (long long)ch->guard.discount_permille, ch->guard_discount_max);
    if (ch->guard.giveback_permille > ch->guard_giveback_max)
        errlist_add(e, "budget.money", "could give back %lld per mille of the revenue of the campaign's window; the "
                    "club's ceiling is %d (guard_giveback_max_permille)", (long long)ch->guard.giveback_permille,
                    ch->guard_giveback_max);
}

/* ---- JSON ---- */

static json_t *time_or_null(int64_t ms) { return ms ? timefmt_json(ms) : json_null(); }

static json_t *parsed_or_null(const char *text)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    return j ? j : json_null();
}

static json_t *campaign_json(const store_campaign *c)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:{s:I, s:I}, s:{s:I, s:I}, s:s, s:f, "
                          "s:o, s:o, s:s, s:o, s:o}",
                          "id", (json_int_t)c->id, "name", c->name, "goal", c->goal, "metric", c->metric,
                          "metric_days", c->metric_days, "survey_id",
                          c->survey_id ? json_integer(c->survey_id) : json_null(), "audience",
                          parsed_or_null(c->audience), "offer", parsed_or_null(c->offer), "message",
                          parsed_or_null(c->message), "budget", "money", (json_int_t)c->budget_money_minor, "points",
                          (json_int_t)c->budget_points, "spent", "money", (json_int_t)c->spent_money_minor, "points",
                          (json_int_t)c->spent_points, "state", c->state, "holdout_share",
                          c->holdout_share_permille / 1000.0, "starts_at", time_or_null(c->starts_at), "ends_at",
                          time_or_null(c->ends_at), "created_by", c->created_by, "created_at",
                          timefmt_json(c->created_at), "updated_at", timefmt_json(c->updated_at));
    return o;
}

static json_t *campaign_answer(const store_campaign *c, const campaign_change *ch)
{
    json_t *o = campaign_json(c);
    json_object_set_new(o, "guard", guard_json(ch));
    return o;
}

/* ---- writes ---- */

/* What only the writer can check: the segment, reward and survey named exist, and the budget is not below what
 * is spent. */
static void check_on_writer(store_tx *tx, const store_campaign *c, errlist *e)
{
    json_t *aud = c->audience ? json_loads(c->audience, 0, NULL) : NULL;
    json_t *offer = c->offer ? json_loads(c->offer, 0, NULL) : NULL;
    json_t *sid = json_object_get(aud, "segment_id"), *rid = json_object_get(offer, "reward_id");
    store_segment g;
    store_reward rw;
    store_survey sv;
    if (sid && store_tx_segment_get(tx, json_integer_value(sid), &g) == STORE_OK)
        store_segment_release(&g);
    else if (sid)
        errlist_add(e, "audience.segment_id", "there is no segment with this id");
    if (rid && store_tx_reward_get(tx, json_integer_value(rid), &rw) != STORE_OK)
        errlist_add(e, "offer.reward_id", "there is no reward with this id");
    if (c->survey_id && store_tx_survey_get(tx, c->survey_id, &sv) == STORE_OK)
        store_survey_release(&sv);
    else if (c->survey_id)
        errlist_add(e, "survey_id", "there is no survey with this id");
    if (c->budget_money_minor < c->spent_money_minor)
        errlist_add(e, "budget.money", "must not be below what the campaign has spent (%lld)",
                    (long long)c->spent_money_minor);
    if (c->budget_points < c->spent_points)
        errlist_add(e, "budget.points", "must not be below what the campaign has spent (%lld points)",
                    (long long)c->spent_points);
    json_decref(aud);
    json_decref(offer);
}

static bool apply_on_writer(store_tx *tx, http_write *w, store_campaign *c, campaign_change *ch, bool creating)
{
    errlist e;
    errlist_init(&e);
    campaign_apply_json(c, ch->body, creating, &e);
    if (e.count == 0)
        check_on_writer(tx, c, &e);
    if (e.count == 0)
        return true;
    http_write_answer_problem(w, 400, "validation", "some fields are not valid", &e);
    return false;
}

static int create_write(store_tx *tx, http_write *w)
{
    campaign_change *ch = w->arg;
    store_campaign c = {0};
    snprintf(c.metric, sizeof(c.metric), "redemption_rate");
    snprintf(c.state, sizeof(c.state), "draft");
    c.metric_days = 30;
    c.created_at = c.updated_at = w->now_ms;
    snprintf(c.created_by, sizeof(c.created_by), "%s", w->who.key);
    int status = apply_on_writer(tx, w, &c, ch, true) ? store_tx_campaign_insert(tx, &c) : STORE_INVALID;
    if (status == STORE_OK)
        status = guard_store(tx, &c, ch, w->now_ms);
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = campaigns_state_change(tx, c.id, NULL, "draft", w->who.key, "created", w->now_ms);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "campaign.create", "campaign", c.id, NULL, campaign_json(&c));
    char location[64];
    snprintf(location, sizeof(location), "/api/v1/campaigns/%lld", (long long)c.id);
    if (status == STORE_OK)
        http_write_answer_json(w, 201, campaign_answer(&c, ch), location);
    store_campaign_release(&c);
    return status;
}

static int load_on_writer(store_tx *tx, http_write *w, int64_t id, store_campaign *c)
{
    int status = store_tx_campaign_get(tx, id, c);
    if (status == STORE_NOTFOUND)
        http_write_answer_problem(w, 404, "not-found", "there is no campaign with this id", NULL);
    return status;
}

static int update_write(store_tx *tx, http_write *w)
{
    campaign_change *ch = w->arg;
    store_campaign c;
    int status = load_on_writer(tx, w, ch->id, &c);
    if (status != STORE_OK)
        return status;
    json_t *before = campaign_json(&c);
    c.updated_at = w->now_ms;
    status = apply_on_writer(tx, w, &c, ch, false) ? store_tx_campaign_update(tx, &c) : STORE_INVALID;
    if (status == STORE_OK)
        status = guard_store(tx, &c, ch, w->now_ms);
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "campaign.update", "campaign", c.id, json_incref(before),
                                campaign_json(&c));
    if (status == STORE_OK)
        http_write_answer_json(w, 200, campaign_answer(&c, ch), NULL);
    json_decref(before);
    store_campaign_release(&c);
    return status;
}

/* Reads the campaign a patch changes, applies the body to a copy and checks it with the guard rails; the writer
 * applies it again to the record as it is then. */
static void submit_campaign_json(http_request *r, json_t *body, bool creating, http_write_fn fn)
{
    campaign_change *ch = calloc(1, sizeof(*ch));
    if (!ch)
        abort();
    ch->body = body;
    ch->id = creating ? 0 : r->id;
    store_campaign c = {0};
    snprintf(c.metric, sizeof(c.metric), "redemption_rate");
    snprintf(c.state, sizeof(c.state), "draft");
    if (!creating) {
        int status = store_campaign_get(r->thread->reader, r->id, &c);
        if (status != STORE_OK) {
            change_free(ch);
            http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500,
                               status == STORE_NOTFOUND ? "not-found" : "internal",
                               status == STORE_NOTFOUND ? "there is no campaign with this id"
                                                        : "the campaign could not be read",
                               NULL);
            return;
        }
    }
    errlist e;
    errlist_init(&e);
    if (!json_is_object(body))
        errlist_add(&e, "body", "must be a JSON object");
    else
        campaign_apply_json(&c, body, creating, &e);
    if (e.count == 0 && guard_compute(r, &c, ch) == 0)
        guard_check(&c, ch, &e);
    store_campaign_release(&c);
    if (e.count) {
        change_free(ch);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    http_write_submit(r, fn, ch, change_free);
}

void http_campaign_create(http_request *r)
{
    json_t *body = http_body_json(r);
    if (body)
        submit_campaign_json(r, body, true, create_write);
}

void http_campaign_update(http_request *r)
{
    json_t *body = http_body_json(r);
    if (body)
        submit_campaign_json(r, body, false, update_write);
}

/* ---- states ---- */

static int state_write(store_tx *tx, http_write *w)
{
    campaign_change *ch = w->arg;
    store_campaign c;
    int status = load_on_writer(tx, w, ch->id, &c);
    if (status != STORE_OK)
        return status;
    errlist e;
    errlist_init(&e);
    if (!campaign_transition_allowed(c.state, ch->to)) {
        errlist_add(&e, "to", "a campaign in state %s cannot move to %s here", c.state, ch->to);
        http_write_answer_problem(w, 409, "conflict", "this change of state is not allowed", &e);
        store_campaign_release(&c);
        return STORE_INVALID;
    }
    int64_t treated = 0, holdout = 0;
    bool more = false, launch = strcmp(c.state, "draft") == 0 && strcmp(ch->to, "running") == 0;
    if (launch) {
        status = campaign_launch_assign(tx, &c, ch->seed, w->who.key, w->now_ms, &treated, &holdout, &more);
        /* the grant job starts at the next tick; queued behind this job, it sees the assignments */
        if (status == STORE_OK)
            jobs_wake("grant_campaigns");
        if (status == STORE_INVALID) {
            errlist_add(&e, "audience", "the audience cannot be read (its segment is gone or no longer valid)");
            http_write_answer_problem(w, 400, "validation", "the campaign cannot be launched", &e);
        }
    }
    if (status == STORE_OK)
        status = campaigns_state_change(tx, c.id, c.state, ch->to, w->who.key, ch->reason, w->now_ms);
    store_actor actor = http_actor(&w->who);
    json_t *change = json_pack("{s:s, s:s, s:s}", "from", c.state, "to", ch->to, "reason", ch->reason);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "campaign.state", "campaign", c.id, NULL, change);
    else
        json_decref(change);
    store_campaign_release(&c);
    if (status == STORE_OK && (status = store_tx_campaign_get(tx, ch->id, &c)) == STORE_OK) {
        json_t *o = campaign_json(&c);
        if (launch)
            json_object_set_new(o, "launch", json_pack("{s:I, s:I, s:I, s:b}", "treated", (json_int_t)treated,
                                                       "holdout", (json_int_t)holdout, "seed", (json_int_t)ch->seed,
                                                       "assigning", more));
        http_write_answer_json(w, 200, o, NULL);
        store_campaign_release(&c);
    }
    return status;
}

void http_campaign_state(http_request *r)
{
    static const char *const fields[] = {"to", "reason", "seed", NULL};
    json_t *body = http_body_json(r);
    if (!body)
        return;
    errlist e;
    errlist_init(&e);
    errlist_only_fields(&e, body, fields);
    const char *to = json_string_value(json_object_get(body, "to"));
    json_t *reason = json_object_get(body, "reason"), *seed = json_object_get(body, "seed");
    if (!campaign_state_valid(to))
        errlist_add(&e, "to", "must be one of draft, pilot, evaluating, running, finished, stopped");
    if (reason && (!json_is_string(reason) || json_string_length(reason) > REASON_MAX))
        errlist_add(&e, "reason", "must be text of at most %d bytes", REASON_MAX);
    if (seed && (!json_is_integer(seed) || json_integer_value(seed) < 0))
        errlist_add(&e, "seed", "must be a whole number from 0");
    if (e.count == 0 && strcmp(to, "stopped") == 0 && !roles_allows(r->who.role, PERM_CAMPAIGN_DECIDE)) {
        json_decref(body);
        http_reply_problem(r, 403, "forbidden", "stopping a campaign is a manager's decision", NULL);
        return;
    }
    if (e.count) {
        json_decref(body);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    campaign_change *ch = calloc(1, sizeof(*ch));
    if (!ch)
        abort();
    ch->id = r->id;
    snprintf(ch->to, sizeof(ch->to), "%s", to);
    snprintf(ch->reason, sizeof(ch->reason), "%s", reason ? json_string_value(reason) : "");
    ch->seed = seed ? json_integer_value(seed) : (int64_t)(randombytes_random() & 0x7fffffff);
    json_decref(body);
    http_write_submit(r, state_write, ch, change_free);
}

/* ---- reads ---- */

void http_campaign_get(http_request *r)
{
    store_campaign c;
    int status = store_campaign_get(r->thread->reader, r->id, &c);
    if (status != STORE_OK) {
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           status == STORE_NOTFOUND ? "there is no campaign with this id"
                                                    : "the campaign could not be read",
                           NULL);
        return;
    }
    campaign_change ch = {0};
    guard_stored(r, &c, &ch); /* null when never estimated */
    json_t *o = campaign_answer(&c, &ch);
    store_campaign_release(&c);
    http_reply_json(r, 200, o);
}

static void append_campaign(const store_campaign *c, void *items) { json_array_append_new(items, campaign_json(c)); }

void http_campaign_list(http_request *r)
{
    static const char *const allowed[] = {"state", "limit", "cursor", NULL};
    int limit;
    int64_t after_id = 0;
    if (!http_query_only(r, allowed) || !http_page_params(r, &limit, &after_id))
        return;
    char state[32];
    errlist e;
    errlist_init(&e);
    bool has_state = http_query(r, "state", state, sizeof(state), &e);
    if (e.count == 0 && has_state && !campaign_state_valid(state))
        errlist_add(&e, "state", "must be one of draft, pilot, evaluating, running, finished, stopped");
    if (e.count) {
        http_reply_problem(r, 400, "validation", "the query is not valid", &e);
        return;
    }
    json_t *items = json_array();
    int count;
    if (store_campaign_list(r->thread->reader, has_state ? state : NULL, after_id, limit + 1, append_campaign, items,
                            &count) != STORE_OK) {
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the campaigns could not be read", NULL);
        return;
    }
    json_t *next = http_page_next(items, limit);
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}

void http_campaign_changes(http_request *r)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    int limit;
    int64_t after_id = 0;
    if (!http_query_only(r, allowed) || !http_page_params(r, &limit, &after_id))
        return;
    store_campaign c;
    int status = store_campaign_get(r->thread->reader, r->id, &c);
    if (status != STORE_OK) {
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           status == STORE_NOTFOUND ? "there is no campaign with this id"
                                                    : "the campaign could not be read",
                           NULL);
        return;
    }
    store_campaign_release(&c);
    json_t *items = json_array();
    if (store_campaign_changes(r->thread->reader, r->id, after_id, limit + 1, items) != STORE_OK) {
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the changes could not be read", NULL);
        return;
    }
    /* times as RFC 3339 */
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) json_object_set_new(it, "at", timefmt_json(json_integer_value(json_object_get(it, "at"))));
    json_t *next = http_page_next(items, limit);
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}
