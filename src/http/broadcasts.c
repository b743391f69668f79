/* /api/v1/broadcasts: news to an audience (every member, a class, a segment, or the contacts of a kind) over one channel, at once or at
 * send_at. The body is checked and the audience resolved to member ids on the loop thread (the thread's reader);
 * one write job then stores the broadcast and one outbox message per recipient, in the member's locale, in the
 * same commit, and audits it. Texts are templates (core/template.c): {given_name}, {family_name}, {points} and
 * {tier} are filled in per member, numbers written for the member's locale, values HTML-escaped in the HTML part;
 * POST /api/v1/broadcasts/preview renders them for one chosen member. The delivery worker honours consent and opt-outs at each send, so the report
 * (GET) counts the messages by status and reason: queued, deferred, sent, failed, suppressed (no_consent,
 * opted_out, no_address, ...). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sms.h"
#include "core/template.h"
#include "core/timefmt.h"
#include "http/http.h"
#include "http/segments.h"

static const char *const broadcast_fields[] = {"audience", "channel", "subject", "body", "html", "send_at",
                                               "template", NULL};
static const char *const locales[] = {"en", "fa"};

#define SMS_SEGMENTS_MAX 10 /* parts of one SMS text (before its variables are filled in) */
static const char *const classes[] = {"prospect", "new", "main", "occasional", "at_risk", "lapsed"};

typedef struct broadcast_job {
    json_t *body;
    int64_t *ids;
    int n;
    int64_t send_at;
    bool uses_date;        /* a text has {date} */
    bool contacts;         /* an audience of contacts, read in the write job: */
    char contact_kind[16]; /* their kind, "" for every contact */
} broadcast_job;

static void job_free(void *p)
{
    broadcast_job *j = p;
    json_decref(j->body);
    free(j->ids);
    free(j);
}

/* {"en": "...", "fa": "..."}: at least one locale, texts of at most max bytes. */
void http_localized_check(const json_t *body, const char *field, bool required, size_t max, errlist *e)
{
    json_t *v = json_object_get(body, field);
    if (!v) {
        if (required)
            errlist_add(e, field, "is required: an object with the text for en, fa or both");
        return;
    }
    if (!json_is_object(v) || json_object_size(v) == 0) {
        errlist_add(e, field, "must be an object with the text for en, fa or both");
        return;
    }
    const char *key;
    json_t *text;
    json_object_foreach(v, key, text) {
        if (strcmp(key, "en") != 0 && strcmp(key, "fa") != 0)
            errlist_add(e, field, "has %s: only en and fa are known", key);
        else if (!json_is_string(text) || json_string_length(text) == 0 || json_string_length(text) > max)
            errlist_add(e, field, "%s must be a text of 1 to %zu bytes", key, max);
        else {
            char name[32];
            snprintf(name, sizeof(name), "%s.%s", field, key);
            template_check(json_string_value(text), name, e);
        }
    }
}

/* {"contact_kind": KIND or "all"}: contacts who are not members (staff, partners, ...), read in the write job. */
static void audience_contacts(const json_t *audience, const json_t *body, broadcast_job *j, errlist *e)
{
    const char *kind = json_string_value(json_object_get(audience, "contact_kind"));
    if (json_object_size(audience) != 1 || !kind || (strcmp(kind, "all") != 0 && !http_contact_kind_ok(kind))) {
        errlist_add(e, "audience.contact_kind", "must be staff, partner, sponsor, press, other or all");
        return;
    }
    if (strcmp(json_string_value(json_object_get(body, "channel")), "inbox") == 0) {
        errlist_add(e, "channel", "must be email or sms for contacts: the inbox is the member portal's");
        return;
    }
    j->contacts = true;
    snprintf(j->contact_kind, sizeof(j->contact_kind), "%s", strcmp(kind, "all") == 0 ? "" : kind);
}

/* Adds the audience's member ids to j (on the loop thread's reader); false after replying. */
static bool audience_ids(http_request *r, const json_t *audience, broadcast_job *j, errlist *e)
{
    json_t *all = json_object_get(audience, "all"), *cls = json_object_get(audience, "class"),
           *seg = json_object_get(audience, "segment");
    if (!json_is_object(audience) || json_object_size(audience) != 1 || (all && !json_is_true(all)) ||
        (cls && !json_is_string(cls)) || (seg && (!json_is_integer(seg) || json_integer_value(seg) < 1)) ||
        (!all && !cls && !seg)) {
        errlist_add(e, "audience", "must be {\"all\": true}, {\"class\": CLASS}, {\"segment\": ID} or "
                                   "{\"contact_kind\": KIND}");
        return true;
    }
    if (cls) {
        bool known = false;
        for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
            known = known || strcmp(json_string_value(cls), classes[i]) == 0;
        if (!known) {
            errlist_add(e, "audience.class", "must be prospect, new, main, occasional, at_risk or lapsed");
            return true;
        }
    }
    j->ids = calloc(STORE_BROADCAST_AUDIENCE_MAX + 1, sizeof(*j->ids));
    if (!j->ids)
        abort(); /* out of memory */
    int status;
    if (seg) {
        store_segment g;
        status = store_segment_get(r->thread->reader, json_integer_value(seg), &g);
        if (status == STORE_NOTFOUND) {
            errlist_add(e, "audience.segment", "there is no segment with this id");
            return true;
        }
        http_segment_query q;
        if (status == STORE_OK) {
            status = http_segment_query_open(r, &g, &q) == 0
                         ? store_segment_member_ids(r->thread->reader, &q.q, 0, STORE_BROADCAST_AUDIENCE_MAX + 1,
                                                    j->ids, &j->n)
                         : STORE_ERROR;
            http_segment_query_close(&q);
            store_segment_release(&g);
        }
    } else {
        status = store_audience_member_ids(r->thread->reader, cls ? json_string_value(cls) : NULL, 0,
                                           STORE_BROADCAST_AUDIENCE_MAX + 1, j->ids, &j->n);
    }
    if (status != STORE_OK) {
        http_reply_problem(r, 500, "internal", "the audience could not be read", NULL);
        return false;
    }
    if (j->n > STORE_BROADCAST_AUDIENCE_MAX)
        errlist_add(e, "audience", "has more than %d members", STORE_BROADCAST_AUDIENCE_MAX);
    return true;
}

/* The member's text of a localized field: their locale's, else the other one's; NULL when the field is absent. */
static const char *localized(const json_t *body, const char *field, const char *locale)
{
    json_t *v = json_object_get(body, field);
    if (!v)
        return NULL;
    json_t *t = json_object_get(v, locale);
    if (!t)
        t = json_object_get(v, strcmp(locale, "fa") == 0 ? "en" : "fa");
    return json_string_value(t);
}

/* A member's template variables, written for locale. */
typedef struct member_vars {
    char points[64];
    char tier[STORE_NAME_MAX + 1];
    char date[96];
    template_var v[5];
} member_vars;

/* date_at: the time {date} stands for (the message's send time), or 0 when the texts do not use it (an ICU
 * calendar per person is not free). */
static void vars_fill(member_vars *mv, const member *m, const char *locale, int64_t points, const store_tier *t,
                      int64_t date_at)
{
    template_number(points, locale, mv->points, sizeof(mv->points));
    mv->date[0] = '\0';
    if (date_at)
        template_date(date_at, m->time_zone, locale, mv->date, sizeof(mv->date));
    snprintf(mv->tier, sizeof(mv->tier), "%s", !t ? "" : strcmp(locale, "fa") == 0 && t->name_fa[0] ? t->name_fa
                                                                                                      : t->name_en);
    mv->v[0] = (template_var){"given_name", m->given_name};
    mv->v[1] = (template_var){"family_name", m->family_name};
    mv->v[2] = (template_var){"points", mv->points};
    mv->v[3] = (template_var){"tier", mv->tier};
    mv->v[4] = (template_var){"date", mv->date};
}

/* The member's variables read inside the write job. */
static int vars_tx(store_tx *tx, const member *m, const char *locale, int64_t date_at, member_vars *mv)
{
    store_member_points pts = {0};
    store_member_tier mt = {0};
    store_tier tier;
    int status = store_tx_member_points(tx, m->id, &pts);
    if (status == STORE_OK)
        status = store_tx_member_tier_get(tx, m->id, &mt);
    bool has_tier = status == STORE_OK && mt.tier_id && store_tx_tier_get(tx, mt.tier_id, &tier) == STORE_OK;
    if (status == STORE_NOTFOUND)
        status = STORE_OK;
    vars_fill(mv, m, locale, pts.available, has_tier ? &tier : NULL, date_at);
    return status;
}

/* The member's text of a localized field, rendered; NULL when the field is absent. malloc'd. */
static char *rendered(const json_t *body, const char *field, const char *locale, const member_vars *mv, bool html)
{
    const char *text = localized(body, field, locale);
    return text ? template_render(text, mv->v, 5, html) : NULL;
}

static const char *destination_of(const member *m, const char *channel)
{
    if (strcmp(channel, "email") == 0)
        return m->email;
    return strcmp(channel, "sms") == 0 ? m->phone : "";
}

static void contact_id_add(const store_person *p, void *arg)
{
    broadcast_job *j = arg;
    if (j->n <= STORE_BROADCAST_AUDIENCE_MAX)
        j->ids[j->n++] = p->id;
}

/* One message per contact of the audience, in their locale. Contacts have no points or tier: {points} and {tier}
 * are written as 0 and "" for them. */
static int contacts_write(store_tx *tx, broadcast_job *j, const char *channel, int64_t broadcast_id, int64_t now,
                          int64_t *written)
{
    if (!(j->ids = calloc(STORE_BROADCAST_AUDIENCE_MAX + 1, sizeof(*j->ids))))
        abort(); /* out of memory */
    j->n = 0;
    int status = store_tx_audience_each(tx, "contact_kind", j->contact_kind[0] ? j->contact_kind : NULL, "all",
                                        contact_id_add, j);
    if (status == STORE_OK && j->n > STORE_BROADCAST_AUDIENCE_MAX)
        status = STORE_INVALID; /* far beyond any club's contacts: refused whole */
    for (int i = 0; i < j->n && status == STORE_OK; i++) {
        store_contact c;
        if ((status = store_tx_contact_get(tx, j->ids[i], &c)) != STORE_OK)
            break;
        const char *locale = strcmp(c.person.locale, "fa") == 0 ? "fa" : "en";
        member_vars mv;
        vars_fill(&mv, &c.person, locale, 0, NULL, j->uses_date ? j->send_at : 0);
        char *subject = rendered(j->body, "subject", locale, &mv, false);
        char *text = rendered(j->body, "body", locale, &mv, false);
        char *html = rendered(j->body, "html", locale, &mv, true);
        store_outbox_msg msg = {.kind = "broadcast", .channel = channel, .contact_id = c.id,
                                .destination = destination_of(&c.person, channel), .locale = locale,
                                .subject = subject, .body_text = text, .body_html = html, .ref_id = broadcast_id,
                                .send_at = j->send_at, .now = now};
        status = store_outbox_enqueue(tx, &msg, NULL);
        free(subject);
        free(text);
        free(html);
        store_contact_release(&c);
        (*written)++;
    }
    j->n = 0; /* the member loop that follows has nothing to do */
    return status;
}

static int broadcast_write(store_tx *tx, http_write *w)
{
    broadcast_job *j = w->arg;
    const char *channel = json_string_value(json_object_get(j->body, "channel"));
    store_actor actor = http_actor(&w->who);
    store_broadcast b = {.send_at = j->send_at, .created_at = w->now_ms};
    snprintf(b.channel, sizeof(b.channel), "%s", channel);
    snprintf(b.created_by, sizeof(b.created_by), "%s", w->who.key);
    json_t *content = json_pack("{s:O*, s:O*, s:O*}", "subject", json_object_get(j->body, "subject"), "body",
                                json_object_get(j->body, "body"), "html", json_object_get(j->body, "html"));
    b.audience = json_dumps(json_object_get(j->body, "audience"), JSON_COMPACT);
    b.content = json_dumps(content, JSON_COMPACT);
    json_decref(content);
    int status = store_tx_broadcast_insert(tx, &b);
    int64_t written = 0;
    if (status == STORE_OK && j->contacts)
        status = contacts_write(tx, j, channel, b.id, w->now_ms, &written);
    for (int i = 0; i < j->n && status == STORE_OK; i++) {
        member m;
        status = store_tx_member_get(tx, j->ids[i], &m);
        if (status == STORE_NOTFOUND || (status == STORE_OK && m.erased_at)) {
            status = STORE_OK; /* erased since the audience was read */
            continue;
        }
        if (status != STORE_OK)
            break;
        const char *locale = strcmp(m.locale, "fa") == 0 ? "fa" : "en";
        member_vars mv;
        if ((status = vars_tx(tx, &m, locale, j->uses_date ? j->send_at : 0, &mv)) != STORE_OK)
            break;
        char *subject = rendered(j->body, "subject", locale, &mv, false);
        char *text = rendered(j->body, "body", locale, &mv, false);
        char *html = rendered(j->body, "html", locale, &mv, true);
        store_outbox_msg msg = {.kind = "broadcast", .channel = channel, .member_id = m.id,
                                .destination = destination_of(&m, channel), .locale = locale, .subject = subject,
                                .body_text = text, .body_html = html, .ref_id = b.id, .send_at = j->send_at,
                                .now = w->now_ms};
        status = store_outbox_enqueue(tx, &msg, NULL);
        free(subject);
        free(text);
        free(html);
        written++;
    }
    if (status == STORE_OK)
        status = store_tx_broadcast_recipients(tx, b.id, written);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "broadcast.create", "broadcast", b.id, NULL,
                                json_pack("{s:s, s:I}", "channel", channel, "recipients", (json_int_t)written));
    if (status == STORE_OK) {
        char location[64];
        snprintf(location, sizeof(location), "/api/v1/broadcasts/%lld", (long long)b.id);
        http_write_answer_json(w, 201, json_pack("{s:I, s:s, s:I}", "id", (json_int_t)b.id, "channel", channel,
                                                 "recipients", (json_int_t)written), location);
    }
    store_broadcast_release(&b);
    return status;
}

static void body_check(const json_t *body, errlist *e, int64_t *send_at, int64_t now)
{
    errlist_only_fields(e, body, broadcast_fields);
    json_t *ch = json_object_get(body, "channel");
    const char *channel = json_is_string(ch) ? json_string_value(ch) : "";
    bool email = strcmp(channel, "email") == 0;
    if (!email && strcmp(channel, "sms") != 0 && strcmp(channel, "inbox") != 0)
        errlist_add(e, "channel", "must be email, sms or inbox");
    http_localized_check(body, "subject", email, STORE_OUTBOX_SUBJECT_MAX, e);
    http_localized_check(body, "body", true, STORE_OUTBOX_BODY_MAX, e);
    http_localized_check(body, "html", false, STORE_OUTBOX_BODY_MAX, e);
    if (json_object_get(body, "html") && !email)
        errlist_add(e, "html", "is for email only");
    json_t *texts = json_object_get(body, "body");
    const char *key;
    json_t *text;
    if (strcmp(channel, "sms") == 0 && json_is_object(texts))
        json_object_foreach(texts, key, text) {
            sms_count c;
            if (json_is_string(text) && sms_count_text(json_string_value(text), &c) == 0 &&
                c.segments > SMS_SEGMENTS_MAX)
                errlist_add(e, strcmp(key, "fa") == 0 ? "body.fa" : "body.en",
                            "is %d SMS parts long; at most %d", c.segments, SMS_SEGMENTS_MAX);
        }
    json_t *at = json_object_get(body, "send_at");
    *send_at = now;
    if (at && !json_is_null(at) && (!json_is_string(at) || timefmt_parse(json_string_value(at), send_at) != 0))
        errlist_add(e, "send_at", "must be a date and time such as 2026-03-21T09:00:00+03:30");
    (void)locales;
}

/* {"template": ID}: the saved template's texts, for those of subject, body and html the body does not carry itself
 * (they are then checked as if written inline, and the broadcast keeps them). False after replying. */
static bool template_merge(http_request *r, json_t *body, errlist *e)
{
    json_t *id = json_object_get(body, "template");
    if (!id)
        return true;
    if (!json_is_integer(id) || json_integer_value(id) < 1) {
        errlist_add(e, "template", "must be a template id");
        return true;
    }
    store_template t;
    int status = store_template_get(r->thread->reader, json_integer_value(id), &t);
    if (status == STORE_NOTFOUND) {
        errlist_add(e, "template", "there is no template with this id");
        return true;
    }
    if (status != STORE_OK) {
        http_reply_problem(r, 500, "internal", "the template could not be read", NULL);
        return false;
    }
    json_t *content = json_loads(t.content, 0, NULL);
    store_template_release(&t);
    const char *const fields[] = {"subject", "body", "html"};
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_object_get(content, fields[i]);
        if (v && !json_object_get(body, fields[i]))
            json_object_set(body, fields[i], v);
    }
    json_decref(content);
    return true;
}

void http_broadcast_create(http_request *r)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    broadcast_job *j = calloc(1, sizeof(*j));
    if (!j)
        abort(); /* out of memory */
    j->body = body;
    errlist e;
    errlist_init(&e);
    if (!template_merge(r, body, &e)) {
        job_free(j);
        return;
    }
    body_check(body, &e, &j->send_at, r->now_ms);
    json_t *audience = json_object_get(body, "audience");
    if (!audience)
        errlist_add(&e, "audience", "is required");
    else if (e.count == 0 && json_object_get(audience, "contact_kind"))
        audience_contacts(audience, body, j, &e);
    else if (e.count == 0 && !audience_ids(r, audience, j, &e)) {
        job_free(j);
        return;
    }
    if (e.count) {
        job_free(j);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    char *texts = json_dumps(body, JSON_COMPACT);
    j->uses_date = texts && strstr(texts, "{date}") != NULL; /* a false alarm ({{date}}) only costs time */
    free(texts);
    http_write_submit(r, broadcast_write, j, job_free);
}

static void count_cb(const char *status, const char *reason, int64_t n, void *arg)
{
    json_t *report = arg;
    json_t *counts = json_object_get(report, "counts");
    json_object_set_new(counts, status, json_integer(json_integer_value(json_object_get(counts, status)) + n));
    if (reason) {
        json_t *reasons = json_object_get(report, "reasons");
        json_t *of = json_object_get(reasons, status);
        if (!of)
            json_object_set_new(reasons, status, of = json_object());
        json_object_set_new(of, reason, json_integer(n));
    }
}

void http_broadcast_get(http_request *r)
{
    store_broadcast b;
    int status = store_broadcast_get(r->thread->reader, r->id, &b);
    if (status == STORE_NOTFOUND) {
        http_reply_problem(r, 404, "not-found", "there is no broadcast with this id", NULL);
        return;
    }
    if (status != STORE_OK) {
        http_reply_problem(r, 500, "internal", "the broadcast could not be read", NULL);
        return;
    }
    char send_at[TIMEFMT_LEN], created_at[TIMEFMT_LEN];
    timefmt_rfc3339(b.send_at, send_at);
    timefmt_rfc3339(b.created_at, created_at);
    json_t *counts = json_pack("{s:i, s:i, s:i, s:i, s:i}", "queued", 0, "deferred", 0, "sent", 0, "failed", 0,
                               "suppressed", 0);
    json_t *report = json_pack("{s:I, s:s, s:o, s:o, s:s, s:I, s:s, s:s, s:o, s:o}", "id", (json_int_t)b.id,
                               "channel", b.channel, "audience", json_loads(b.audience, 0, NULL), "content",
                               json_loads(b.content, 0, NULL), "send_at", send_at, "recipients",
                               (json_int_t)b.recipients, "created_by", b.created_by, "created_at", created_at,
                               "counts", counts, "reasons", json_object());
    store_broadcast_release(&b);
    if (store_broadcast_counts(r->thread->reader, r->id, count_cb, report) != STORE_OK) {
        json_decref(report);
        http_reply_problem(r, 500, "internal", "the broadcast's messages could not be counted", NULL);
        return;
    }
    http_reply_json(r, 200, report);
}

static const char *const preview_fields[] = {"member", "channel", "subject", "body", "html", NULL};

/* POST /api/v1/broadcasts/preview {member, channel, subject, body, html}: the texts as that member would get them. */
void http_broadcast_preview(http_request *r)
{
    errlist e;
    json_t *body = http_body_fields(r, preview_fields, &e);
    if (!body)
        return;
    json_t *id = json_object_get(body, "member");
    if (!json_is_integer(id) || json_integer_value(id) < 1)
        errlist_add(&e, "member", "must be a member id");
    http_localized_check(body, "subject", false, STORE_OUTBOX_SUBJECT_MAX, &e);
    http_localized_check(body, "body", true, STORE_OUTBOX_BODY_MAX, &e);
    http_localized_check(body, "html", false, STORE_OUTBOX_BODY_MAX, &e);
    member m;
    int status = e.count ? STORE_INVALID : store_member_get(r->thread->reader, json_integer_value(id), &m);
    if (status == STORE_NOTFOUND || (status == STORE_OK && m.erased_at)) {
        errlist_add(&e, "member", "there is no member with this id");
        status = STORE_INVALID;
    }
    if (e.count || status != STORE_OK) {
        json_decref(body);
        if (e.count)
            http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        else
            http_reply_problem(r, 500, "internal", "the member could not be read", NULL);
        return;
    }
    json_t *out = http_messages_render(r->thread->reader, body, &m, m.id, r->now_ms);
    member_release(&m);
    json_decref(body);
    http_reply_json(r, 200, out);
}

json_t *http_messages_render(store_reader *rd, const json_t *content, const member *p, int64_t member_id,
                             int64_t at)
{
    const char *locale = strcmp(p->locale, "fa") == 0 ? "fa" : "en";
    store_member_points pts = {0};
    store_member_tier mt = {0};
    store_tier tier;
    bool has_tier = false;
    if (member_id) {
        store_member_points_read(rd, member_id, &pts);
        has_tier = store_member_tier_get(rd, member_id, &mt) == STORE_OK && mt.tier_id &&
                   store_tier_get(rd, mt.tier_id, &tier) == STORE_OK;
    }
    member_vars mv;
    vars_fill(&mv, p, locale, pts.available, has_tier ? &tier : NULL, at);
    char *subject = rendered(content, "subject", locale, &mv, false);
    char *text = rendered(content, "body", locale, &mv, false);
    char *html = rendered(content, "html", locale, &mv, true);
    json_t *out = json_pack("{s:s, s:s?, s:s?, s:s?}", "locale", locale, "subject", subject, "body", text, "html",
                            html);
    free(subject);
    free(text);
    free(html);
    return out;
}
