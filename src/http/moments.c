/* /api/v1/moments: yearly moments (birthday, anniversary of joining, a custom date attribute) with their gift,
 * message, local send hour, holdout share and leap-day policy; GET .../grants lists recent outcomes. A body is
 * checked on the loop (fields and the reward through the reader) and again on the writer against the current
 * record, so bad input is answered 400 naming the field and nothing is written. DELETE deactivates: the moment and
 * its exactly-once records stay. The job that gives the gifts is src/jobs/moments.c (docs/moments.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "core/moments.h"
#include "core/template.h"
#include "core/timefmt.h"
#include "http/http.h"

static const char *const moment_fields[] = {"name",       "kind",          "attribute",   "calendar", "gift",
                                            "message",    "send_hour",     "holdout_share", "leap_policy",
                                            "active",     NULL};
static const char *const gift_fields[] = {"points", "reward_id", NULL};
static const char *const message_fields[] = {"channel", "subject", "body", NULL};

#define MOMENT_POINTS_MAX 100000000LL /* a gift larger than this is a typing mistake */

json_t *http_moment_json(const store_moment *m)
{
    json_t *msg = m->message ? json_loads(m->message, 0, NULL) : NULL;
    json_t *gift = json_pack("{s:I, s:o}", "points", (json_int_t)m->gift_points, "reward_id",
                             m->gift_reward_id ? json_integer(m->gift_reward_id) : json_null());
    return json_pack("{s:I, s:s, s:s, s:o, s:s, s:o, s:o, s:i, s:f, s:s, s:b, s:s, s:o, s:o}", "id",
                     (json_int_t)m->id, "name", m->name, "kind", m->kind, "attribute",
                     m->attribute[0] ? json_string(m->attribute) : json_null(), "calendar", m->calendar, "gift", gift,
                     "message", msg ? msg : json_null(), "send_hour", m->send_hour, "holdout_share",
                     m->holdout_permille / 1000.0, "leap_policy", m->leap_policy, "active", m->active, "created_by",
                     m->created_by, "created_at", timefmt_json(m->created_at), "updated_at",
                     timefmt_json(m->updated_at));
}

/* {"en": ..., "fa": ...} texts of at most max bytes, templates checked. */
static void texts_check(const json_t *v, const char *field, size_t max, errlist *e)
{
    if (!json_is_object(v) || json_object_size(v) == 0) {
        errlist_add(e, field, "must be an object with the text for en, fa or both");
        return;
    }
    const char *key;
    json_t *t;
    json_object_foreach((json_t *)v, key, t) {
        char name[48];
        snprintf(name, sizeof(name), "%s.%s", field, strcmp(key, "fa") == 0 ? "fa" : "en");
        if (strcmp(key, "en") != 0 && strcmp(key, "fa") != 0)
            errlist_add(e, field, "only en and fa are known");
        else if (!json_is_string(t) || json_string_length(t) == 0 || json_string_length(t) > max)
            errlist_add(e, name, "must be a text of 1 to %zu bytes", max);
        else
            template_check(json_string_value(t), name, e);
    }
}

static void message_apply(store_moment *m, json_t *v, errlist *e)
{
    if (json_is_null(v)) {
        free(m->message);
        m->message = NULL;
        return;
    }
    if (!json_is_object(v)) {
        errlist_add(e, "message", "must be an object {channel, subject, body} or null");
        return;
    }
    int before = e->count;
    errlist_only_fields(e, v, message_fields);
    json_t *ch = json_object_get(v, "channel");
    const char *channel = json_string_value(ch);
    if (!channel || (strcmp(channel, "email") != 0 && strcmp(channel, "sms") != 0 && strcmp(channel, "inbox") != 0))
        errlist_add(e, "message.channel", "must be email, sms or inbox");
    json_t *subject = json_object_get(v, "subject"), *body = json_object_get(v, "body");
    if (subject)
        texts_check(subject, "message.subject", STORE_OUTBOX_SUBJECT_MAX, e);
    else if (channel && strcmp(channel, "sms") != 0)
        errlist_add(e, "message.subject", "is required for email and inbox messages");
    if (body)
        texts_check(body, "message.body", 4000, e);
    else
        errlist_add(e, "message.body", "is required");
    if (e->count != before)
        return;
    free(m->message);
    m->message = json_dumps(v, JSON_COMPACT);
}

static void gift_apply(store_moment *m, json_t *v, errlist *e)
{
    if (!json_is_object(v)) {
        errlist_add(e, "gift", "must be an object {points, reward_id}");
        return;
    }
    errlist_only_fields(e, v, gift_fields);
    json_t *p = json_object_get(v, "points"), *r = json_object_get(v, "reward_id");
    if (p && (!json_is_integer(p) || json_integer_value(p) < 0 || json_integer_value(p) > MOMENT_POINTS_MAX))
        errlist_add(e, "gift.points", "must be a whole number of points from 0 to %lld", MOMENT_POINTS_MAX);
    else if (p)
        m->gift_points = json_integer_value(p);
    if (r && !json_is_null(r) && (!json_is_integer(r) || json_integer_value(r) < 1))
        errlist_add(e, "gift.reward_id", "must be the id of a reward, or null");
    else if (r)
        m->gift_reward_id = json_is_null(r) ? 0 : json_integer_value(r);
}

static void choice(json_t *v, const char *field, const char *const *allowed, char *out, size_t cap, errlist *e)
{
    const char *s = json_string_value(v);
    for (const char *const *a = allowed; s && *a; a++)
        if (strcmp(s, *a) == 0) {
            snprintf(out, cap, "%s", s);
            return;
        }
    char list[128] = "";
    for (const char *const *a = allowed; *a; a++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", a == allowed ? "" : ", ", *a);
    errlist_add(e, field, "must be one of %s", list);
}

static bool attribute_ok(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > STORE_MOMENT_ATTR_MAX || k[0] < 'a' || k[0] > 'z')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
            return false;
    return true;
}

/* The fields only a new moment sets: kind and attribute. */
static void create_apply(store_moment *m, json_t *body, errlist *e)
{
    static const char *const kinds[] = {"birthday", "anniversary", "custom", NULL};
    json_t *kind = json_object_get(body, "kind"), *attr = json_object_get(body, "attribute");
    if (!kind)
        errlist_add(e, "kind", "is required: birthday, anniversary or custom");
    else
        choice(kind, "kind", kinds, m->kind, sizeof(m->kind), e);
    bool custom = strcmp(m->kind, "custom") == 0;
    if (custom && (!json_is_string(attr) || !attribute_ok(json_string_value(attr))))
        errlist_add(e, "attribute", "must name the custom attribute holding the date: a-z, 0-9 and _, at most %d "
                                    "bytes, starting with a letter", STORE_MOMENT_ATTR_MAX);
    else if (custom)
        snprintf(m->attribute, sizeof(m->attribute), "%s", json_string_value(attr));
    else if (attr && !json_is_null(attr))
        errlist_add(e, "attribute", "is for custom moments only");
    if (!json_object_get(body, "name"))
        errlist_add(e, "name", "is required");
}

/* Applies a create body or a merge patch onto m; errors name the field. */
static void moment_apply(store_moment *m, json_t *body, bool creating, errlist *e)
{
    static const char *const calendars[] = {"gregorian", "persian", NULL};
    static const char *const policies[] = {"before", "after", NULL};
    if (!json_is_object(body)) {
        errlist_add(e, "", "the body must be a JSON object");
        return;
    }
    errlist_only_fields(e, body, moment_fields);
    if (creating)
        create_apply(m, body, e);
    else if (json_object_get(body, "kind") || json_object_get(body, "attribute"))
        errlist_add(e, json_object_get(body, "kind") ? "kind" : "attribute", "cannot change: create a new moment");
    json_t *v;
    if ((v = json_object_get(body, "name"))) {
        const char *s = json_string_value(v);
        if (!s || !*s || json_string_length(v) > STORE_MOMENT_NAME_MAX)
            errlist_add(e, "name", "must be a text of 1 to %d bytes", STORE_MOMENT_NAME_MAX);
        else
            snprintf(m->name, sizeof(m->name), "%s", s);
    }
    if ((v = json_object_get(body, "calendar")))
        choice(v, "calendar", calendars, m->calendar, sizeof(m->calendar), e);
    if ((v = json_object_get(body, "leap_policy")))
        choice(v, "leap_policy", policies, m->leap_policy, sizeof(m->leap_policy), e);
    if ((v = json_object_get(body, "send_hour"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 23)
            errlist_add(e, "send_hour", "must be a whole hour from 0 to 23, in the member's time zone");
        else
            m->send_hour = (int)json_integer_value(v);
    }
    if ((v = json_object_get(body, "holdout_share"))) {
        double x = json_number_value(v);
        if (!json_is_number(v) || !(x >= 0.0 && x <= 1.0))
            errlist_add(e, "holdout_share", "must be a number from 0 to 1");
        else
            m->holdout_permille = (int)lround(x * 1000.0);
    }
    if ((v = json_object_get(body, "active"))) {
        if (!json_is_boolean(v))
            errlist_add(e, "active", "must be true or false");
        else
            m->active = json_is_true(v);
    }
    if ((v = json_object_get(body, "gift")))
        gift_apply(m, v, e);
    if ((v = json_object_get(body, "message")))
        message_apply(m, v, e);
}

/* What holds for a whole moment, after a patch too. */
static void whole_check(const store_moment *m, errlist *e)
{
    if (e->count == 0 && m->gift_points == 0 && !m->gift_reward_id && !m->message)
        errlist_add(e, "gift", "a moment gives points, a reward or at least a message");
}

static void moment_defaults(store_moment *m)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->calendar, sizeof(m->calendar), "gregorian");
    snprintf(m->leap_policy, sizeof(m->leap_policy), "before");
    m->send_hour = 10;
    m->active = true;
}

/* ---- writes ---- */

typedef struct moment_change {
    json_t *body;
    int64_t id;
} moment_change;

static void change_free(void *p)
{
    moment_change *c = p;
    json_decref(c->body);
    free(c);
}

static int invalid(http_write *w, const errlist *e)
{
    http_write_answer_problem(w, 400, "validation", "some fields are not valid", e);
    return STORE_INVALID;
}

/* Applies the body on the writer and checks the reward there too (it may have gone since the loop looked). */
static int apply_on_writer(store_tx *tx, http_write *w, store_moment *m, json_t *body, bool creating)
{
    errlist e;
    errlist_init(&e);
    moment_apply(m, body, creating, &e);
    whole_check(m, &e);
    store_reward rw;
    if (e.count == 0 && m->gift_reward_id && store_tx_reward_get(tx, m->gift_reward_id, &rw) == STORE_NOTFOUND)
        errlist_add(&e, "gift.reward_id", "there is no reward with this id");
    return e.count ? invalid(w, &e) : STORE_OK;
}

static int create_write(store_tx *tx, http_write *w)
{
    moment_change *ch = w->arg;
    store_moment m;
    moment_defaults(&m);
    m.created_at = m.updated_at = w->now_ms;
    snprintf(m.created_by, sizeof(m.created_by), "%s", w->who.key);
    int status = apply_on_writer(tx, w, &m, ch->body, true);
    if (status == STORE_OK)
        status = store_tx_moment_insert(tx, &m);
    if (status == STORE_OK)
        status = http_write_created(tx, w, "moment.create", "moment", m.id, "/api/v1/moments", http_moment_json(&m));
    store_moment_release(&m);
    return status;
}

static int update_write(store_tx *tx, http_write *w)
{
    moment_change *ch = w->arg;
    store_moment m;
    int status = http_write_found(w, store_tx_moment_get(tx, ch->id, &m), "moment");
    if (status != STORE_OK)
        return status;
    json_t *before = http_moment_json(&m);
    if (ch->body)
        status = apply_on_writer(tx, w, &m, ch->body, false);
    else
        m.active = false; /* DELETE */
    m.updated_at = w->now_ms;
    if (status == STORE_OK)
        status = store_tx_moment_update(tx, &m);
    if (status == STORE_OK)
        status = http_write_updated(tx, w, ch->body ? "moment.update" : "moment.deactivate", "moment", m.id, before,
                                    http_moment_json(&m));
    else
        json_decref(before);
    store_moment_release(&m);
    return status;
}

/* Checks the body on a scratch moment (and the reward on the reader) before anything queues. */
static void submit(http_request *r, bool creating, http_write_fn fn)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    store_moment scratch;
    moment_defaults(&scratch);
    errlist e;
    errlist_init(&e);
    moment_apply(&scratch, body, creating, &e);
    if (creating)
        whole_check(&scratch, &e); /* a patch is checked whole against the record, on the writer */
    store_reward rw;
    if (e.count == 0 && scratch.gift_reward_id &&
        store_reward_get(r->thread->reader, scratch.gift_reward_id, &rw) == STORE_NOTFOUND)
        errlist_add(&e, "gift.reward_id", "there is no reward with this id");
    store_moment_release(&scratch);
    if (e.count) {
        json_decref(body);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    moment_change *c = calloc(1, sizeof(*c));
    if (!c)
        abort(); /* out of memory */
    c->body = body;
    c->id = r->id;
    http_write_submit(r, fn, c, change_free);
}

void http_moment_create(http_request *r) { submit(r, true, create_write); }
void http_moment_update(http_request *r) { submit(r, false, update_write); }

void http_moment_delete(http_request *r)
{
    moment_change *c = calloc(1, sizeof(*c));
    if (!c)
        abort(); /* out of memory */
    c->id = r->id;
    http_write_submit(r, update_write, c, change_free);
}

/* ---- reads ---- */

void http_moment_get(http_request *r)
{
    store_moment m;
    int status = store_moment_get(r->thread->reader, r->id, &m);
    if (status != STORE_OK) {
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           status == STORE_NOTFOUND ? "there is no moment with this id" : "the moment could not be read",
                           NULL);
        return;
    }
    json_t *o = http_moment_json(&m);
    store_moment_release(&m);
    http_reply_json(r, 200, o);
}

static void append_moment(const store_moment *m, void *items) { json_array_append_new(items, http_moment_json(m)); }

static int list_moments(store_reader *rd, int64_t after_id, int want, json_t *items, void *arg)
{
    int count;
    return store_moment_list(rd, after_id, want, append_moment, items, &count);
}

void http_moment_list(http_request *r) { http_reply_list(r, list_moments, NULL, "the moments"); }

static void append_grant(const store_moment_grant *g, void *items)
{
    json_array_append_new(items, json_pack("{s:I, s:i, s:s, s:o, s:I, s:o, s:o, s:s, s:I, s:o}", "member_id",
                                           (json_int_t)g->member_id, "year", g->year, "outcome", g->outcome,
                                           "reason", g->reason[0] ? json_string(g->reason) : json_null(), "points",
                                           (json_int_t)g->points, "redemption_id",
                                           g->redemption_id ? json_integer(g->redemption_id) : json_null(),
                                           "message_id", g->message_id ? json_integer(g->message_id) : json_null(),
                                           "message", g->message, "cost_minor", (json_int_t)g->cost_minor, "at",
                                           timefmt_json(g->at)));
}

void http_moment_grants(http_request *r)
{
    static const char *const allowed[] = {"limit", NULL};
    int limit;
    int64_t after_id = 0;
    if (!http_query_only(r, allowed) || !http_page_params(r, &limit, &after_id))
        return;
    store_moment m;
    int status = store_moment_get(r->thread->reader, r->id, &m);
    if (status == STORE_OK)
        store_moment_release(&m);
    if (status == STORE_NOTFOUND) {
        http_reply_problem(r, 404, "not-found", "there is no moment with this id", NULL);
        return;
    }
    json_t *items = json_array();
    if (status != STORE_OK || store_moment_grants(r->thread->reader, r->id, limit, append_grant, items) != STORE_OK) {
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the outcomes could not be read", NULL);
        return;
    }
    http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}
