/* Classes over HTTP: a member's class history, the recompute on demand, and the "classes" object of the
 * programme settings (served by points.c's GET and PATCH /api/v1/programme through the helpers below).
 * The recompute reads every member, so it runs on the worker pool and writes in chunks through the writer; it
 * is answered once its last chunk has committed. */
#include <stdlib.h>
#include <string.h>

#include "app/classes.h"
#include "core/timefmt.h"
#include "http/http.h"

/* ---- a member's class history ---- */

void http_member_class_history(http_request *r)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    int limit;
    int64_t after_id;
    if (!http_query_only(r, allowed) || !http_page_params(r, &limit, &after_id))
        return;
    member m;
    int status = store_member_get(r->thread->reader, r->id, &m);
    if (status != STORE_OK) {
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           status == STORE_NOTFOUND ? "there is no member with this id" : "the member could not be read",
                           NULL);
        return;
    }
    json_t *items = json_array();
    if (store_class_history(r->thread->reader, r->id, after_id, limit + 1, items) != STORE_OK) {
        member_release(&m);
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the class history could not be read", NULL);
        return;
    }
    json_t *next = http_page_next(items, limit);
    json_t *body = json_pack("{s:I, s:s, s:o, s:o, s:o}", "member_id", (json_int_t)m.id, "class",
                             m.stats.class_name[0] ? m.stats.class_name : "prospect", "class_since",
                             timefmt_json(m.stats.class_since), "items", items, "next_cursor", next);
    member_release(&m);
    http_reply_json(r, 200, body);
}

/* ---- the recompute on demand ---- */

typedef struct recompute {
    int64_t now;
    int status;
    classes_summary sum;
} recompute;

static void recompute_work(void *arg)
{
    recompute *rc = arg;
    rc->status = classes_recompute(http_store, rc->now, true, &rc->sum);
}

static void recompute_then(http_request *r, void *arg)
{
    recompute *rc = arg;
    if (rc->status != STORE_OK)
        http_reply_problem(r, rc->status == STORE_FULL ? 503 : 500, rc->status == STORE_FULL ? "busy" : "internal",
                           "the recompute did not finish; what was written before the failure is kept", NULL);
    else
        http_reply_json(r, 200,
                        json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:f, s:f}", "at", timefmt_json(rc->now), "customers",
                                  (json_int_t)rc->sum.customers, "members", (json_int_t)rc->sum.members, "written",
                                  (json_int_t)rc->sum.written, "changed", (json_int_t)rc->sum.changed, "chunks",
                                  (json_int_t)rc->sum.chunks, "compute_ms", rc->sum.compute_ms, "write_ms",
                                  rc->sum.write_ms));
    free(rc);
}

void http_classes_recompute(http_request *r)
{
    recompute *rc = calloc(1, sizeof(*rc));
    if (!rc)
        abort(); /* out of memory */
    rc->now = r->now_ms;
    http_offload(r, recompute_work, recompute_then, rc, free);
}

/* ---- the "classes" object of the programme settings ---- */

int http_classes_settings_add(store_reader *rd, json_t *programme)
{
    class_settings s;
    int status = store_class_settings_read(rd, &s);
    if (status == STORE_OK)
        json_object_set_new(programme, "classes", classes_settings_json(&s));
    return status;
}

void http_classes_settings_probe(json_t *body, errlist *e)
{
    json_t *v = json_object_get(body, "classes");
    class_settings s;
    classes_settings_default(&s);
    if (v)
        classes_settings_apply(&s, v, e);
}

int http_classes_settings_get(store_tx *tx, class_settings *s, json_t *programme)
{
    int status = store_tx_class_settings_get(tx, s);
    if (status == STORE_OK)
        json_object_set_new(programme, "classes", classes_settings_json(s));
    return status;
}

void http_classes_settings_apply(class_settings *s, json_t *body, errlist *e)
{
    json_t *v = json_object_get(body, "classes");
    if (v && classes_settings_apply(s, v, e) == 0)
        classes_settings_check(s, e);
}
