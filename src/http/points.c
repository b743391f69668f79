/* The points engine over HTTP: programme settings, purchases and returns, earning events, a member's ledger,
 * manual adjustments and transfers. Bodies are validated here; the work runs on the writer (app/purchases.c,
 * app/points.c) and its first answer is stored with it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/points.h"
#include "app/purchases.h"
#include "app/tiers.h"
#include "core/calendar.h"
#include "core/timefmt.h"
#include "http/http.h"

/* ---- programme ---- */

void http_programme_get(http_request *r)
{
    points_programme p;
    if (store_programme_read(r->thread->reader, &p) != STORE_OK) {
        http_reply_problem(r, 500, "internal", "the programme could not be read", NULL);
        return;
    }
    json_t *body = points_programme_json(&p);
    if (http_classes_settings_add(r->thread->reader, body) != STORE_OK) { /* classes.c */
        json_decref(body);
        http_reply_problem(r, 500, "internal", "the programme could not be read", NULL);
        return;
    }
    http_reply_json(r, 200, body);
}

static int programme_write(store_tx *tx, http_write *w)
{
    points_programme p;
    int status = points_programme_get(tx, &p);
    if (status != STORE_OK)
        return status;
    json_t *before = points_programme_json(&p);
    class_settings cs; /* the "classes" settings: classes.c */
    if ((status = http_classes_settings_get(tx, &cs, before)) != STORE_OK) {
        json_decref(before);
        return status;
    }
    errlist e;
    errlist_init(&e);
    points_programme_apply(&p, w->arg, &e);
    http_classes_settings_apply(&cs, w->arg, &e);
    if (e.count) {
        json_decref(before);
        http_write_answer_problem(w, 400, "validation", "some settings are not valid", &e);
        return STORE_INVALID;
    }
    p.updated_at = w->now_ms;
    store_actor actor = http_actor(&w->who);
    json_t *after = points_programme_json(&p);
    json_object_set_new(after, "classes", classes_settings_json(&cs));
    status = store_tx_programme_update(tx, &p);
    if (status == STORE_OK)
        status = store_tx_class_settings_update(tx, &cs);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "programme.update", "programme", 1, before, json_incref(after));
    else
        json_decref(before);
    http_write_answer_json(w, 200, after, NULL);
    return status;
}

static void body_free(void *body) { json_decref(body); }

void http_programme_update(http_request *r)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    /* Checked here on a copy of the defaults, so bad input is answered without queueing. */
    points_programme probe = {0};
    errlist e;
    errlist_init(&e);
    points_programme_apply(&probe, body, &e);
    http_classes_settings_probe(body, &e);
    if (e.count) {
        json_decref(body);
        http_reply_problem(r, 400, "validation", "some settings are not valid", &e);
        return;
    }
    http_write_submit(r, programme_write, body, body_free);
}

/* ---- purchases, returns, events ---- */

static void answer(http_write *w, purchase_answer *a)
{
    if (a->slug) {
        http_write_answer_problem(w, a->status, a->slug, a->detail, &a->errs);
        return;
    }
    if (a->text) {
        http_write_answer_text(w, a->status, a->text, NULL);
        a->text = NULL;
    } else {
        http_write_answer_json(w, a->status, a->body, NULL);
        a->body = NULL;
    }
    w->replayed = a->replayed;
}

static int transaction_write(store_tx *tx, http_write *w)
{
    purchase_answer a;
    memset(&a, 0, sizeof(a));
    int status = purchase_record(tx, w->arg, w->now_ms, w->who.key, &a);
    if (a.status)
        answer(w, &a);
    json_decref(a.body);
    free(a.text);
    return status;
}

static void purchase_free(void *p)
{
    purchase_release(p);
    free(p);
}

void http_transaction_create(http_request *r)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    purchase_request *req = malloc(sizeof(*req));
    errlist e;
    errlist_init(&e);
    purchase_parse(body, http_config.phone_region, r->now_ms, req, &e);
    json_decref(body);
    if (e.count) {
        purchase_free(req);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    http_write_submit(r, transaction_write, req, purchase_free);
}

void http_transaction_get(http_request *r)
{
    store_txn t;
    int status = store_txn_read(r->thread->reader, r->id, &t);
    if (status != STORE_OK) {
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           "there is no transaction with this id", NULL);
        return;
    }
    json_t *doc = json_loads(t.response ? t.response : "{}", 0, NULL);
    json_t *items = t.items ? json_loads(t.items, 0, NULL) : NULL;
    if (!doc)
        doc = json_object();
    json_object_set_new(doc, "items", items ? items : json_null());
    if (strcmp(t.type, "purchase") == 0) {
        json_object_set_new(doc, "points_reversed", json_integer(t.points_reversed));
        json_object_set_new(doc, "amount_returned", json_integer(t.amount_returned_minor));
    }
    json_object_del(doc, "balance"); /* the balance then, not now: the ledger has the history */
    store_txn_release(&t);
    http_reply_json(r, 200, doc);
}

static int event_write(store_tx *tx, http_write *w)
{
    purchase_answer a;
    memset(&a, 0, sizeof(a));
    int status = earning_event_record(tx, w->arg, w->now_ms, w->who.key, &a);
    if (a.status)
        answer(w, &a);
    json_decref(a.body);
    free(a.text);
    return status;
}

void http_event_create(http_request *r)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    earning_event *ev = malloc(sizeof(*ev));
    errlist e;
    errlist_init(&e);
    earning_event_parse(body, http_config.phone_region, r->now_ms, ev, &e);
    json_decref(body);
    if (e.count) {
        free(ev);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    snprintf(ev->source, sizeof(ev->source), "%s", r->who.key);
    http_write_submit(r, event_write, ev, free);
}

/* ---- a member's ledger ---- */

void http_member_ledger(http_request *r)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    int limit;
    int64_t before_id;
    store_member_points mp;
    if (!http_query_only(r, allowed) || !http_page_params(r, &limit, &before_id))
        return;
    if (store_member_points_read(r->thread->reader, r->id, &mp) != STORE_OK) {
        http_reply_problem(r, 404, "not-found", "there is no member with this id", NULL);
        return;
    }
    json_t *items = json_array();
    if (store_member_postings(r->thread->reader, r->id, before_id, limit + 1, items) != STORE_OK) {
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the ledger could not be read", NULL);
        return;
    }
    json_t *next = http_page_next(items, limit);
    http_reply_json(r, 200, json_pack("{s:o, s:{s:I, s:I, s:I}, s:o}", "items", items, "balance", "available",
                                      (json_int_t)mp.available, "pending", (json_int_t)mp.pending, "lifetime",
                                      (json_int_t)mp.lifetime, "next_cursor", next));
}

/* The member's tier and progress to the next (it moves with time as the qualifying window rolls on, so it is
 * computed when asked rather than kept in the member record). */
void http_member_tier(http_request *r)
{
    store_member_points mp;
    if (store_member_points_read(r->thread->reader, r->id, &mp) != STORE_OK) {
        http_reply_problem(r, 404, "not-found", "there is no member with this id", NULL);
        return;
    }
    http_reply_json(r, 200, tiers_member_json(r->thread->reader, r->id, r->now_ms));
}

/* ---- adjustments and transfers ---- */

typedef struct points_move {
    int64_t member_id, to_member_id, points;
    char reason[256];
} points_move;

/* Reads {points, reason} (and the members of a transfer); replies 400 and returns NULL when invalid. */
static points_move *read_move(http_request *r, bool transfer)
{
    static const char *const adjust_fields[] = {"points", "reason", NULL};
    static const char *const transfer_fields[] = {"from_member_id", "to_member_id", "points", "reason", NULL};
    json_t *body = http_body_json(r);
    if (!body)
        return NULL;
    errlist e;
    errlist_init(&e);
    errlist_only_fields(&e, body, transfer ? transfer_fields : adjust_fields);
    points_move *m = calloc(1, sizeof(*m));
    json_t *v = json_object_get(body, "points");
    if (!json_is_integer(v) || json_integer_value(v) == 0 || json_integer_value(v) > 1000000000LL ||
        json_integer_value(v) < (transfer ? 1 : -1000000000LL))
        errlist_add(&e, "points", transfer ? "must be a positive whole number" : "must be a non-zero whole number");
    else
        m->points = json_integer_value(v);
    v = json_object_get(body, "reason");
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= sizeof(m->reason))
        errlist_add(&e, "reason", "must say why, in 1 to %zu bytes", sizeof(m->reason) - 1);
    else
        snprintf(m->reason, sizeof(m->reason), "%s", json_string_value(v));
    m->member_id = r->id;
    if (transfer) {
        json_t *from = json_object_get(body, "from_member_id"), *to = json_object_get(body, "to_member_id");
        if (!json_is_integer(from) || json_integer_value(from) <= 0)
            errlist_add(&e, "from_member_id", "must be a member's id");
        if (!json_is_integer(to) || json_integer_value(to) <= 0 || json_equal(from, to))
            errlist_add(&e, "to_member_id", "must be another member's id");
        m->member_id = json_integer_value(from);
        m->to_member_id = json_integer_value(to);
    }
    json_decref(body);
    if (e.count == 0)
        return m;
    free(m);
    http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
    return NULL;
}

/* Answers 404 naming field when the member is missing or erased. */
static int live_member(store_tx *tx, http_write *w, int64_t id, const char *field)
{
    member m;
    int status = store_tx_member_get(tx, id, &m);
    if (status == STORE_OK && m.erased_at)
        status = STORE_NOTFOUND;
    if (status == STORE_OK)
        member_release(&m);
    if (status == STORE_NOTFOUND) {
        errlist e;
        errlist_init(&e);
        errlist_add(&e, field, "there is no such member");
        http_write_answer_problem(w, 404, "not-found", "there is no such member", &e);
    }
    return status;
}

static void insufficient(http_write *w)
{
    errlist e;
    errlist_init(&e);
    errlist_add(&e, "points", "is more than the member's available points");
    http_write_answer_problem(w, 409, "insufficient-points", "the member does not have that many available points", &e);
}

static int adjust_write(store_tx *tx, http_write *w)
{
    points_move *m = w->arg;
    points_programme p;
    int status = live_member(tx, w, m->member_id, "id");
    if (status == STORE_OK)
        status = points_programme_get(tx, &p);
    if (status != STORE_OK)
        return status;
    json_t *why = json_pack("[{s:n, s:s, s:I}]", "rule_id", "rule", m->reason, "points", (json_int_t)m->points);
    points_ref ref = {.kind = "adjust", .actor = w->who.key, .explanation = why};
    status = points_adjust(tx, &p, m->member_id, m->points, w->now_ms, &ref);
    json_decref(why);
    if (status == STORE_INVALID) {
        insufficient(w);
        return status;
    }
    store_member_points mp;
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_member_points(tx, m->member_id, &mp);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "points.adjust", "member", m->member_id, NULL,
                                json_pack("{s:I, s:s}", "points", (json_int_t)m->points, "reason", m->reason));
    if (status == STORE_OK)
        http_write_answer_json(w, 201,
                               json_pack("{s:I, s:I, s:s, s:{s:I, s:I, s:I}}", "member_id", (json_int_t)m->member_id,
                                         "points", (json_int_t)m->points, "reason", m->reason, "balance", "available",
                                         (json_int_t)mp.available, "pending", (json_int_t)mp.pending, "lifetime",
                                         (json_int_t)mp.lifetime),
                               NULL);
    return status;
}

void http_member_adjust(http_request *r)
{
    points_move *m = read_move(r, false);
    if (m)
        http_write_submit(r, adjust_write, m, free);
}

static int transfer_write(store_tx *tx, http_write *w)
{
    points_move *m = w->arg;
    points_programme p;
    int status = live_member(tx, w, m->member_id, "from_member_id");
    if (status == STORE_OK)
        status = live_member(tx, w, m->to_member_id, "to_member_id");
    if (status == STORE_OK)
        status = points_programme_get(tx, &p);
    if (status != STORE_OK)
        return status;
    if (!p.transfers_allowed) {
        http_write_answer_problem(w, 409, "conflict", "the programme does not allow transfers", NULL);
        return STORE_INVALID;
    }
    json_t *why = json_pack("[{s:n, s:s, s:I}]", "rule_id", "rule", m->reason, "points", (json_int_t)m->points);
    points_ref ref = {.kind = "transfer", .actor = w->who.key, .explanation = why};
    status = points_transfer(tx, &p, m->member_id, m->to_member_id, m->points, w->now_ms, &ref);
    json_decref(why);
    if (status == STORE_INVALID) {
        insufficient(w);
        return status;
    }
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "points.transfer", "member", m->member_id, NULL,
                                json_pack("{s:I, s:I, s:s}", "to_member_id", (json_int_t)m->to_member_id, "points",
                                          (json_int_t)m->points, "reason", m->reason));
    if (status == STORE_OK)
        http_write_answer_json(w, 201,
                               json_pack("{s:I, s:I, s:I, s:s}", "from_member_id", (json_int_t)m->member_id,
                                         "to_member_id", (json_int_t)m->to_member_id, "points", (json_int_t)m->points,
                                         "reason", m->reason),
                               NULL);
    return status;
}

void http_transfer_create(http_request *r)
{
    points_move *m = read_move(r, true);
    if (m)
        http_write_submit(r, transfer_write, m, free);
}
