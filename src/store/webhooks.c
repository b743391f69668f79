/* Webhook subscriptions and deliveries in SQLite (migration 0012). A delivery is an ordinary outbox message
 * (channel 'webhook': destination the URL, subject the event type, body_text the JSON body) plus a
 * webhook_deliveries row naming its subscription and event id, both written by store_tx_webhook_fanout inside the
 * cause's job. Statements are prepared per call, as contacts.c does, except those every cause runs (the question
 * store_tx_webhook_wanted and the fan-out's two), which are cached on the writer's connection. Callers: app/webhooks.c, http/webhooks.c,
 * jobs/webhooks.c. */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

#define WEBHOOK_COLUMNS                                                                                   \
    "id, url, events, description, secret, active, created_by, created_at, updated_at, previous_secret, " \
    "previous_until"

static void webhook_from_row(sqlite3_stmt *st, void *out)
{
    store_webhook *w = out;
    memset(w, 0, sizeof(*w));
    w->id = sqlite3_column_int64(st, 0);
    store_column_text(st, 1, w->url, sizeof(w->url));
    w->events = (uint32_t)sqlite3_column_int64(st, 2);
    store_column_text(st, 3, w->description, sizeof(w->description));
    store_column_text(st, 4, w->secret, sizeof(w->secret));
    w->active = sqlite3_column_int(st, 5) != 0;
    store_column_text(st, 6, w->created_by, sizeof(w->created_by));
    w->created_at = sqlite3_column_int64(st, 7);
    w->updated_at = sqlite3_column_int64(st, 8);
    store_column_text(st, 9, w->previous_secret, sizeof(w->previous_secret));
    w->previous_until = sqlite3_column_int64(st, 10);
}

static int webhook_one(store_conn *c, int64_t id, store_webhook *out)
{
    return store_get_by_id(c, "SELECT " WEBHOOK_COLUMNS " FROM webhook_subscriptions WHERE id = ?", id,
                           webhook_from_row, out, "webhook get");
}

int store_tx_webhook_get(store_tx *tx, int64_t id, store_webhook *out) { return webhook_one(&tx->conn, id, out); }
int store_webhook_get(store_reader *r, int64_t id, store_webhook *out) { return webhook_one(&r->conn, id, out); }

static void bind_webhook(sqlite3_stmt *st, const store_webhook *w)
{
    sqlite3_bind_text(st, 1, w->url, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, w->events);
    sqlite3_bind_text(st, 3, w->description, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, w->active ? 1 : 0);
    sqlite3_bind_int64(st, 5, w->updated_at);
}

int store_tx_webhook_insert(store_tx *tx, store_webhook *w)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "INSERT INTO webhook_subscriptions (url, events, description, active, "
                                          "updated_at, secret, created_by, created_at) VALUES (?,?,?,?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    bind_webhook(st, w);
    sqlite3_bind_text(st, 6, w->secret, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, w->created_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, w->created_at);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        w->id = sqlite3_last_insert_rowid(tx->conn.db);
    return store_status_of(&tx->conn, rc, "webhook insert");
}

int store_tx_webhook_update(store_tx *tx, const store_webhook *w)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "UPDATE webhook_subscriptions SET url = ?, events = ?, description = ?, "
                                          "active = ?, updated_at = ? WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    bind_webhook(st, w);
    sqlite3_bind_int64(st, 6, w->id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE && sqlite3_changes(tx->conn.db) == 0)
        return STORE_NOTFOUND;
    return store_status_of(&tx->conn, rc, "webhook update");
}

int store_tx_webhook_set_secret(store_tx *tx, const store_webhook *w)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "UPDATE webhook_subscriptions SET secret = ?, previous_secret = ?, "
                                          "previous_until = ?, updated_at = ? WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, w->secret, -1, SQLITE_STATIC);
    if (w->previous_secret[0]) {
        sqlite3_bind_text(st, 2, w->previous_secret, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, w->previous_until);
    }
    sqlite3_bind_int64(st, 4, w->updated_at);
    sqlite3_bind_int64(st, 5, w->id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE && sqlite3_changes(tx->conn.db) == 0)
        return STORE_NOTFOUND;
    return store_status_of(&tx->conn, rc, "webhook secret");
}

int store_tx_webhook_delete(store_tx *tx, int64_t id)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "DELETE FROM webhook_subscriptions WHERE id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE && sqlite3_changes(tx->conn.db) == 0)
        return STORE_NOTFOUND;
    return store_status_of(&tx->conn, rc, "webhook delete");
}

int store_tx_webhook_count(store_tx *tx, int64_t *n)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "SELECT count(*) FROM webhook_subscriptions");
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return store_status_of(&tx->conn, rc == SQLITE_ROW ? SQLITE_DONE : rc, "webhook count");
}

int store_webhook_list(store_reader *r, int64_t after_id, int limit, void (*cb)(const store_webhook *w, void *arg),
                       void *arg)
{
    sqlite3_stmt *st =
        store_prepare(&r->conn, "SELECT " WEBHOOK_COLUMNS " FROM webhook_subscriptions WHERE id > ? ORDER BY id LIMIT ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int(st, 2, limit);
    int rc;
    store_webhook *w = malloc(sizeof(*w));
    if (!w)
        abort(); /* out of memory */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        webhook_from_row(st, w);
        cb(w, arg);
    }
    free(w);
    sqlite3_finalize(st);
    return store_status_of(&r->conn, rc, "webhook list");
}

int store_tx_webhook_wanted(store_tx *tx, uint32_t mask, bool *wanted)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_WEBHOOK_ANY,
                                  "SELECT 1 FROM webhook_subscriptions WHERE active = 1 AND (events & ?) != 0 LIMIT 1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, mask);
    int rc = sqlite3_step(st);
    *wanted = rc == SQLITE_ROW;
    sqlite3_reset(st);
    return store_status_of(&tx->conn, rc == SQLITE_ROW ? SQLITE_DONE : rc, "webhook wanted");
}

static int delivery_insert(store_tx *tx, int64_t message_id, int64_t subscription_id, const char *event_id,
                           int64_t replay_of)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_WEBHOOK_DELIVERY_INSERT,
                                  "INSERT INTO webhook_deliveries (message_id, subscription_id, event_id, replay_of) "
                                  "VALUES (?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, message_id);
    sqlite3_bind_int64(st, 2, subscription_id);
    sqlite3_bind_text(st, 3, event_id, -1, SQLITE_STATIC);
    if (replay_of)
        sqlite3_bind_int64(st, 4, replay_of);
    return store_step_reset(&tx->conn, st, "webhook delivery insert");
}

/* One outbox message and its delivery row. Webhooks are marked transactional: no member's consent, caps or quiet
 * hours apply to a department's system. */
static int enqueue(store_tx *tx, int64_t subscription_id, const char *url, const char *type, const char *event_id,
                   const char *body, int64_t replay_of, int64_t now, int64_t *id)
{
    store_outbox_msg m = {.kind = "webhook", .channel = "webhook", .destination = url, .locale = "",
                          .subject = type, .body_text = body, .ref_id = subscription_id, .transactional = true,
                          .now = now};
    int64_t message_id = 0;
    int status = store_outbox_enqueue(tx, &m, &message_id);
    if (status == STORE_OK)
        status = delivery_insert(tx, message_id, subscription_id, event_id, replay_of);
    if (id)
        *id = message_id;
    return status;
}

int store_tx_webhook_fanout(store_tx *tx, uint32_t mask, const char *type, const char *event_id, const char *body,
                            int64_t now, int *n)
{
    *n = 0;
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_WEBHOOK_TARGETS,
                                  "SELECT id, url FROM webhook_subscriptions WHERE active = 1 "
                                  "AND (events & ?) != 0 ORDER BY id LIMIT ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, mask);
    sqlite3_bind_int(st, 2, STORE_WEBHOOKS_MAX);
    int64_t ids[STORE_WEBHOOKS_MAX];
    char *urls[STORE_WEBHOOKS_MAX];
    int rc, count = 0;
    while (count < STORE_WEBHOOKS_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ids[count] = sqlite3_column_int64(st, 0);
        const char *u = (const char *)sqlite3_column_text(st, 1);
        if (!(urls[count++] = strdup(u ? u : "")))
            abort(); /* out of memory */
    }
    if (count == STORE_WEBHOOKS_MAX)
        rc = SQLITE_DONE;
    sqlite3_reset(st);
    int status = store_status_of(&tx->conn, rc, "webhook targets");
    for (int i = 0; i < count; i++) {
        if (status == STORE_OK)
            status = enqueue(tx, ids[i], urls[i], type, event_id, body, 0, now, NULL);
        free(urls[i]);
    }
    if (status == STORE_OK)
        *n = count;
    return status;
}

int store_webhook_delivery_get(store_reader *r, int64_t message_id, store_webhook_delivery *out)
{
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT d.subscription_id, d.event_id, s.id IS NOT NULL, s.active, s.url, "
                                         "s.secret, s.previous_secret, s.previous_until FROM webhook_deliveries d "
                                         "LEFT JOIN webhook_subscriptions s "
                                         "ON s.id = d.subscription_id WHERE d.message_id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, message_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->subscription_id = sqlite3_column_int64(st, 0);
        store_column_text(st, 1, out->event_id, sizeof(out->event_id));
        out->subscribed = sqlite3_column_int(st, 2) != 0;
        out->active = sqlite3_column_int(st, 3) != 0;
        store_column_text(st, 4, out->url, sizeof(out->url));
        store_column_text(st, 5, out->secret, sizeof(out->secret));
        store_column_text(st, 6, out->previous_secret, sizeof(out->previous_secret));
        out->previous_until = sqlite3_column_int64(st, 7);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return STORE_OK;
    return rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(&r->conn, rc, "webhook delivery");
}

#define DELIVERY_COLUMNS                                                                                        \
    "o.id, d.event_id, o.subject, o.status, o.reason, o.attempts, o.created_at, o.sent_at, o.next_attempt_at, " \
    "d.replay_of, o.destination, d.subscription_id"

static json_t *int_or_null(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? json_null() : json_integer(sqlite3_column_int64(st, i));
}

static json_t *text_or_null(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    return t ? json_string(t) : json_null();
}

static json_t *delivery_from_row(sqlite3_stmt *st)
{
    bool live = strcmp((const char *)sqlite3_column_text(st, 3), "queued") == 0 ||
                strcmp((const char *)sqlite3_column_text(st, 3), "deferred") == 0;
    return json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:i, s:o, s:o, s:o, s:o, s:o}", "id",
                     (json_int_t)sqlite3_column_int64(st, 0), "subscription",
                     (json_int_t)sqlite3_column_int64(st, 11), "event_id", text_or_null(st, 1), "type",
                     text_or_null(st, 2), "status", text_or_null(st, 3), "reason", text_or_null(st, 4), "attempts",
                     sqlite3_column_int(st, 5), "created_at", int_or_null(st, 6), "sent_at", int_or_null(st, 7),
                     "next_attempt_at", live ? int_or_null(st, 8) : json_null(), "replay_of", int_or_null(st, 9),
                     "url", text_or_null(st, 10));
}

int store_webhook_deliveries(store_reader *r, int64_t subscription_id, int64_t before_id, int limit, json_t *items)
{
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT " DELIVERY_COLUMNS ", (SELECT detail FROM message_attempts a "
                                         "WHERE a.message_id = o.id ORDER BY a.id DESC LIMIT 1) "
                                         "FROM webhook_deliveries d JOIN message_outbox o ON o.id = d.message_id "
                                         "WHERE d.subscription_id = ? AND d.message_id < ? "
                                         "ORDER BY d.message_id DESC LIMIT ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, subscription_id);
    sqlite3_bind_int64(st, 2, before_id > 0 ? before_id : INT64_MAX);
    sqlite3_bind_int(st, 3, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = delivery_from_row(st);
        json_object_set_new(o, "last_detail", text_or_null(st, 12));
        json_array_append_new(items, o);
    }
    sqlite3_finalize(st);
    return store_status_of(&r->conn, rc, "webhook deliveries");
}

static int attempts_json(store_reader *r, int64_t message_id, json_t *items)
{
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT at, outcome, detail, duration_ms FROM message_attempts "
                                         "WHERE message_id = ? ORDER BY id");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, message_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(items, json_pack("{s:I, s:o, s:o, s:I}", "at", (json_int_t)sqlite3_column_int64(st, 0),
                                               "outcome", text_or_null(st, 1), "detail", text_or_null(st, 2),
                                               "duration_ms", (json_int_t)sqlite3_column_int64(st, 3)));
    sqlite3_finalize(st);
    return store_status_of(&r->conn, rc, "webhook attempts");
}

int store_webhook_delivery_json(store_reader *r, int64_t message_id, json_t **out)
{
    *out = NULL;
    sqlite3_stmt *st = store_prepare(&r->conn, "SELECT " DELIVERY_COLUMNS ", o.body_text FROM webhook_deliveries d "
                                         "JOIN message_outbox o ON o.id = d.message_id WHERE d.message_id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, message_id);
    int rc = sqlite3_step(st);
    json_t *o = NULL;
    if (rc == SQLITE_ROW) {
        o = delivery_from_row(st);
        json_object_set_new(o, "body", text_or_null(st, 12));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(&r->conn, rc, "webhook delivery");
    json_t *attempts = json_array();
    json_object_set_new(o, "attempts_log", attempts);
    int status = attempts_json(r, message_id, attempts);
    if (status != STORE_OK) {
        json_decref(o);
        return status;
    }
    *out = o;
    return STORE_OK;
}

int store_tx_webhook_replay(store_tx *tx, int64_t message_id, int64_t now, int64_t *id)
{
    sqlite3_stmt *st = store_prepare(&tx->conn, "SELECT d.subscription_id, s.url, o.subject, d.event_id, o.body_text "
                                          "FROM webhook_deliveries d JOIN message_outbox o ON o.id = d.message_id "
                                          "JOIN webhook_subscriptions s ON s.id = d.subscription_id "
                                          "WHERE d.message_id = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, message_id);
    int rc = sqlite3_step(st);
    int status;
    if (rc == SQLITE_ROW)
        status = enqueue(tx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                         (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
                         (const char *)sqlite3_column_text(st, 4), message_id, now, id);
    else
        status = rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(&tx->conn, rc, "webhook replay");
    sqlite3_finalize(st);
    return status;
}
