/* The message outbox: store_outbox_enqueue writes a message inside its cause's write job (same commit), the delivery
 * worker reads what is due on its own reader and records each outcome through the writer. Invariant: a row leaves
 * the live statuses (queued, deferred) only through store_tx_outbox_record or a void, and 'sent' is final, so a
 * message marked sent is never taken again. Callers: app/ (portal codes, broadcasts, surveys), jobs/delivery.c. */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

static bool channel_known(const char *c)
{
    return c && (strcmp(c, "email") == 0 || strcmp(c, "sms") == 0 || strcmp(c, "inbox") == 0 ||
                 strcmp(c, "webhook") == 0);
}

static bool over(const char *s, size_t max)
{
    return s && strlen(s) > max;
}

int store_outbox_enqueue(store_tx *tx, const store_outbox_msg *m, int64_t *id)
{
    /* A missing address is written all the same: the worker settles it as suppressed (no_address), so the
     * cause's report counts it. */
    if (!m->kind || !*m->kind || !channel_known(m->channel) || !m->locale ||
        (strcmp(m->channel, "inbox") == 0 && !m->member_id) || over(m->subject, STORE_OUTBOX_SUBJECT_MAX) ||
        over(m->body_text, STORE_OUTBOX_BODY_MAX) || over(m->body_html, STORE_OUTBOX_BODY_MAX))
        return STORE_INVALID;
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_OUTBOX_INSERT,
                                  "INSERT INTO message_outbox (kind, member_id, contact_id, channel, destination, "
                                  "locale, data, ref_id, status, subject, body_text, body_html, transactional, "
                                  "next_attempt_at, created_at, updated_at, not_after) "
                                  "VALUES (?,?,?,?,?,?,?,?,'queued',?,?,?,?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    char *data = m->data ? json_dumps(m->data, JSON_COMPACT) : NULL;
    sqlite3_bind_text(st, 1, m->kind, -1, SQLITE_STATIC);
    if (m->member_id)
        sqlite3_bind_int64(st, 2, m->member_id);
    if (m->contact_id)
        sqlite3_bind_int64(st, 3, m->contact_id);
    sqlite3_bind_text(st, 4, m->channel, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, m->destination ? m->destination : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, m->locale, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, data ? data : "{}", -1, SQLITE_STATIC);
    if (m->ref_id)
        sqlite3_bind_int64(st, 8, m->ref_id);
    sqlite3_bind_text(st, 9, m->subject ? m->subject : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, m->body_text ? m->body_text : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 11, m->body_html ? m->body_html : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 12, m->transactional ? 1 : 0);
    sqlite3_bind_int64(st, 13, m->send_at > m->now ? m->send_at : m->now);
    sqlite3_bind_int64(st, 14, m->now);
    sqlite3_bind_int64(st, 15, m->now);
    if (m->not_after)
        sqlite3_bind_int64(st, 16, m->not_after);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    free(data);
    if (rc == SQLITE_DONE && id)
        *id = sqlite3_last_insert_rowid(tx->conn.db);
    return store_status_of(&tx->conn, rc, "outbox enqueue");
}

void store_outbox_item_release(store_outbox_item *it)
{
    if (!it)
        return;
    free(it->destination);
    free(it->subject);
    free(it->body_text);
    free(it->body_html);
    it->destination = it->subject = it->body_text = it->body_html = NULL;
}

static char *column_dup(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    char *copy = strdup(t ? t : "");
    if (!copy)
        abort(); /* out of memory */
    return copy;
}

/* The due rows are read in next_attempt_at order through the partial index, only of the channels the worker can
 * send now (up to three: email, sms, inbox), so messages of a channel that is not configured never hide the others. */
int store_outbox_due(store_reader *r, int64_t now, const char *const *channels, int nchannels, int part, int parts,
                     store_outbox_item *out, int cap, int *n)
{
    *n = 0;
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_OUTBOX_DUE,
                                  "SELECT id, member_id, contact_id, ref_id, kind, channel, locale, destination, "
                                  "subject, body_text, body_html, transactional, attempts, created_at, not_after "
                                  "FROM message_outbox WHERE status IN ('queued', 'deferred') AND next_attempt_at <= ? "
                                  "AND channel IN (?, ?, ?) AND (?6 <= 1 OR (CASE WHEN member_id > 0 THEN member_id "
                                  "WHEN contact_id > 0 THEN contact_id ELSE id END) % ?6 = ?7) "
                                  "ORDER BY next_attempt_at, id LIMIT ?5");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, now);
    for (int i = 0; i < 3; i++)
        sqlite3_bind_text(st, 2 + i, i < nchannels ? channels[i] : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, cap);
    sqlite3_bind_int(st, 6, parts);
    sqlite3_bind_int(st, 7, part);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_outbox_item *it = &out[(*n)++];
        memset(it, 0, sizeof(*it));
        it->id = sqlite3_column_int64(st, 0);
        it->member_id = sqlite3_column_int64(st, 1);
        it->contact_id = sqlite3_column_int64(st, 2);
        it->ref_id = sqlite3_column_int64(st, 3);
        store_column_text(st, 4, it->kind, sizeof(it->kind));
        store_column_text(st, 5, it->channel, sizeof(it->channel));
        store_column_text(st, 6, it->locale, sizeof(it->locale));
        it->destination = column_dup(st, 7);
        it->subject = column_dup(st, 8);
        it->body_text = column_dup(st, 9);
        it->body_html = column_dup(st, 10);
        it->transactional = sqlite3_column_int(st, 11) != 0;
        it->attempts = sqlite3_column_int(st, 12);
        it->created_at = sqlite3_column_int64(st, 13);
        it->not_after = sqlite3_column_int64(st, 14);
    }
    sqlite3_reset(st);
    return store_status_of(&r->conn, rc, "outbox due");
}

static int attempt_insert(store_tx *tx, const store_outbox_outcome *o)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_OUTBOX_ATTEMPT_INSERT,
                                  "INSERT INTO message_attempts (message_id, at, outcome, detail, duration_ms) "
                                  "VALUES (?,?,?,?,?)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, o->message_id);
    sqlite3_bind_int64(st, 2, o->at);
    sqlite3_bind_text(st, 3, strcmp(o->status, "sent") == 0 ? "sent" : "failed", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, o->detail ? o->detail : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, o->duration_ms);
    return store_step_reset(&tx->conn, st, "outbox attempt");
}

int store_tx_outbox_record(store_tx *tx, const store_outbox_outcome *o)
{
    if (o->attempted) {
        int status = attempt_insert(tx, o);
        if (status != STORE_OK)
            return status;
    }
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_OUTBOX_STATUS,
                                  "UPDATE message_outbox SET status = ?, reason = ?, attempts = attempts + ?, "
                                  "next_attempt_at = ?, updated_at = ?, "
                                  "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, "
                                  "segments = ?, cost_minor = ? "
                                  "WHERE id = ? AND status IN ('queued', 'deferred')");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, o->status, -1, SQLITE_STATIC);
    if (o->reason)
        sqlite3_bind_text(st, 2, o->reason, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, o->attempted ? 1 : 0);
    sqlite3_bind_int64(st, 4, o->next_attempt_at);
    sqlite3_bind_int64(st, 5, o->at);
    sqlite3_bind_text(st, 6, o->status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, o->at);
    if (o->segments) {
        sqlite3_bind_int(st, 8, o->segments);
        sqlite3_bind_int64(st, 9, o->cost_minor);
    }
    sqlite3_bind_int64(st, 10, o->message_id);
    return store_step_reset(&tx->conn, st, "outbox record");
}

int store_message_secret(store_reader *r, const char *name, uint8_t out[32])
{
    sqlite3_stmt *st =
        store_stmt(&r->conn, STMT_MESSAGE_SECRET, "SELECT secret FROM message_secrets WHERE name = ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    bool ok = rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32;
    if (ok)
        memcpy(out, sqlite3_column_blob(st, 0), 32);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return ok ? STORE_OK : STORE_ERROR;
    return rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(&r->conn, rc, "message secret");
}

int store_inbox_list(store_reader *r, int64_t member_id, int64_t before_id, int limit, json_t *items,
                     int64_t *unread)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_INBOX_LIST,
                                  "SELECT id, subject, body_text, coalesce(sent_at, created_at), read_at IS NOT NULL "
                                  "FROM message_outbox WHERE member_id = ? AND channel = 'inbox' AND status = 'sent' "
                                  "AND id < ? ORDER BY id DESC LIMIT ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, before_id > 0 ? before_id : INT64_MAX);
    sqlite3_bind_int(st, 3, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:I, s:b}", "id",
                                               (json_int_t)sqlite3_column_int64(st, 0), "subject",
                                               (const char *)sqlite3_column_text(st, 1), "body",
                                               (const char *)sqlite3_column_text(st, 2), "received_at",
                                               (json_int_t)sqlite3_column_int64(st, 3), "read",
                                               sqlite3_column_int(st, 4)));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_status_of(&r->conn, rc, "inbox list");
    st = store_stmt(&r->conn, STMT_INBOX_UNREAD,
                    "SELECT count(*) FROM message_outbox WHERE member_id = ? AND channel = 'inbox' "
                    "AND status = 'sent' AND read_at IS NULL");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, member_id);
    rc = sqlite3_step(st);
    *unread = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return store_status_of(&r->conn, rc == SQLITE_ROW ? SQLITE_DONE : rc, "inbox unread");
}

int store_tx_inbox_read(store_tx *tx, int64_t member_id, int64_t message_id, int64_t now)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_INBOX_READ,
                                  "UPDATE message_outbox SET read_at = coalesce(read_at, ?) WHERE id = ? "
                                  "AND member_id = ? AND channel = 'inbox' AND status = 'sent'");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, message_id);
    sqlite3_bind_int64(st, 3, member_id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE && sqlite3_changes(tx->conn.db) == 0)
        return STORE_NOTFOUND;
    return store_status_of(&tx->conn, rc, "inbox read");
}

int store_outbox_sent_count(store_reader *r, int64_t member_id, const char *channel, int64_t since, int64_t *n)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_OUTBOX_SENT_COUNT,
                                  "SELECT count(*) FROM message_outbox WHERE member_id = ? AND channel = ? "
                                  "AND status = 'sent' AND transactional = 0 AND sent_at >= ?");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_text(st, 2, channel, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, since);
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return store_status_of(&r->conn, rc == SQLITE_ROW ? SQLITE_DONE : rc, "outbox sent count");
}

int store_tx_outbox_forget_member(store_tx *tx, int64_t member_id, int64_t now)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_OUTBOX_FORGET_MEMBER,
                                  "UPDATE message_outbox SET destination = '', data = '{}', subject = '', "
                                  "body_text = '', body_html = '', updated_at = ?2, "
                                  "status = CASE WHEN status IN ('queued', 'deferred') THEN 'suppressed' ELSE status END, "
                                  "reason = CASE WHEN status IN ('queued', 'deferred') THEN 'erased' ELSE reason END "
                                  "WHERE member_id = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, member_id);
    sqlite3_bind_int64(st, 2, now);
    return store_step_reset(&tx->conn, st, "outbox forget member");
}
