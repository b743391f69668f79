/* /api/v1/budget: the club's budget lines (what it means to spend on a category in a period of its calendar) and
 * its costs (what it did spend: posted by campaigns and moments in their own commits, and here by hand). A line's
 * actual is summed from the costs; a line may not be planned below what its category has already spent in its
 * period, nor overlap another line of its category (a year and its months would count the same money twice). The money report is in budget_report.c. docs/budget.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/periods.h"
#include "core/timefmt.h"
#include "http/budget.h"
#include "http/http.h"

static const char *const categories[] = {"gifts", "messages", "staff", "events", "software", "points", "other", NULL};
#define CATEGORIES_TEXT "gifts, messages, staff, events, software, points or other"
#define BUDGET_MONEY_MAX 1000000000000000LL /* minor units: far above any club's budget, far below int64 */

bool http_budget_category_ok(const char *s)
{
    for (const char *const *c = categories; *c; c++)
        if (s && strcmp(s, *c) == 0)
            return true;
    return false;
}

int http_budget_period(const store_programme *p, const char *label, int64_t *from, int64_t *to, const char **why)
{
    calendar_kind k;
    if (calendar_from_name(p->calendar, &k) != 0)
        k = CALENDAR_GREGORIAN;
    return periods_parse(k, p->time_zone, label, from, to, NULL, why);
}

static json_t *text_or_null(const char *s) { return s[0] ? json_string(s) : json_null(); }

json_t *http_budget_line_json(const store_budget_line *l)
{
    return json_pack("{s:I, s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:o, s:s, s:o, s:o}", "id", (json_int_t)l->id,
                     "category", l->category, "period", l->period, "starts_at", timefmt_json(l->starts_at), "ends_at",
                     timefmt_json(l->ends_at), "planned_minor", (json_int_t)l->planned_minor, "actual_minor",
                     (json_int_t)l->actual_minor, "remaining_minor", (json_int_t)(l->planned_minor - l->actual_minor),
                     "note", text_or_null(l->note), "created_by", l->created_by, "created_at",
                     timefmt_json(l->created_at), "updated_at", timefmt_json(l->updated_at));
}

/* Reads an integer field in [min, max]; false (and an error naming it) when it is not one. */
static bool money_field(json_t *body, const char *name, int64_t min, int64_t *out, errlist *e)
{
    json_t *v = json_object_get(body, name);
    if (!v)
        return false;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > BUDGET_MONEY_MAX) {
        errlist_add(e, name, "must be a whole number of minor units from %lld to %lld", (long long)min,
                    (long long)BUDGET_MONEY_MAX);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

static void category_field(json_t *body, bool required, char out[16], errlist *e)
{
    json_t *v = json_object_get(body, "category");
    if (!v) {
        if (required)
            errlist_add(e, "category", "is required");
    } else if (!json_is_string(v) || !http_budget_category_ok(json_string_value(v))) {
        errlist_add(e, "category", "must be " CATEGORIES_TEXT);
    } else {
        snprintf(out, 16, "%s", json_string_value(v));
    }
}

static const http_text_field note_field = {"note", offsetof(store_budget_line, note), STORE_BUDGET_NOTE_MAX + 1,
                                           false, false};

/* Applies a create body or a merge patch to l, placing its period in the club's calendar; errors name the field. */
static void line_apply_json(store_budget_line *l, json_t *body, const store_programme *p, bool creating, errlist *e)
{
    static const char *const fields[] = {"category", "period", "planned_minor", "note", NULL};
    if (!json_is_object(body)) {
        errlist_add(e, "", "the body must be a JSON object");
        return;
    }
    errlist_only_fields(e, body, fields);
    category_field(body, creating, l->category, e);
    json_t *v = json_object_get(body, "period");
    const char *why = NULL;
    if (!v && creating)
        errlist_add(e, "period", "is required");
    else if (v && !json_is_string(v))
        errlist_add(e, "period", "must be a year (YYYY) or a month (YYYY-MM) of the club's calendar");
    else if (v && http_budget_period(p, json_string_value(v), &l->starts_at, &l->ends_at, &why) != 0)
        errlist_add(e, "period", "%s", why);
    else if (v)
        snprintf(l->period, sizeof(l->period), "%s", json_string_value(v));
    if (!money_field(body, "planned_minor", 0, &l->planned_minor, e) && creating &&
        !json_object_get(body, "planned_minor"))
        errlist_add(e, "planned_minor", "is required");
    if ((v = json_object_get(body, "note")))
        http_apply_text(&note_field, v, l->note, e);
}

/* ---- line writes ---- */
typedef struct budget_change {
    json_t *body;
    int64_t id;
} budget_change;

static void change_free(void *p)
{
    budget_change *c = p;
    json_decref(c->body);
    free(c);
}

static bool read_programme(store_tx *tx, http_write *w, store_programme *p)
{
    if (store_tx_programme_get(tx, p) == STORE_OK)
        return true;
    http_write_answer_problem(w, 500, "internal", "the programme could not be read", NULL);
    return false;
}

/* Applies the body on the writer and checks the line against what is already spent; answers and returns a status
 * when it may not be saved. */
static int line_check_on_writer(store_tx *tx, http_write *w, store_budget_line *l, json_t *body, bool creating)
{
    store_programme p;
    if (!read_programme(tx, w, &p))
        return STORE_ERROR;
    errlist e;
    errlist_init(&e);
    line_apply_json(l, body, &p, creating, &e);
    if (e.count == 0) {
        char other[16];
        int status = store_tx_budget_line_overlap(tx, l->id, l->category, l->starts_at, l->ends_at, other);
        if (status != STORE_OK)
            return status;
        if (other[0]) { /* a year line and its month lines would count the same money twice */
            errlist_add(&e, "period", "overlaps the %s line of %s", other, l->category);
            http_write_answer_problem(w, 409, "conflict", "the category already has a line for this period", &e);
            return STORE_CONFLICT;
        }
        status = store_tx_budget_spent(tx, l->category, l->starts_at, l->ends_at, &l->actual_minor);
        if (status != STORE_OK)
            return status;
        if (l->planned_minor < l->actual_minor)
            errlist_add(&e, "planned_minor", "is below what is already spent on %s in %s (%lld)", l->category,
                        l->period, (long long)l->actual_minor);
    }
    if (e.count == 0)
        return STORE_OK;
    http_write_answer_problem(w, 400, "validation", "some fields are not valid", &e);
    return STORE_INVALID;
}

static void line_taken(http_write *w)
{
    errlist e;
    errlist_init(&e);
    errlist_add(&e, "period", "already has a line for this category");
    http_write_answer_problem(w, 409, "conflict", "the category already has a line for this period", &e);
}

static int line_create_write(store_tx *tx, http_write *w)
{
    budget_change *c = w->arg;
    store_budget_line l;
    memset(&l, 0, sizeof(l));
    int status = line_check_on_writer(tx, w, &l, c->body, true);
    if (status != STORE_OK)
        return status;
    snprintf(l.created_by, sizeof(l.created_by), "%s", w->who.name);
    l.created_at = l.updated_at = w->now_ms;
    status = store_tx_budget_line_insert(tx, &l);
    if (status == STORE_CONFLICT) {
        line_taken(w);
        return status;
    }
    if (status == STORE_OK)
        status = http_write_created(tx, w, "budget_line.create", "budget_line", l.id, "/api/v1/budget",
                                    http_budget_line_json(&l));
    return status;
}

static int line_get_or_404(store_tx *tx, http_write *w, int64_t id, store_budget_line *l)
{
    return http_write_found(w, store_tx_budget_line_get(tx, id, l), "budget line");
}

static int line_update_write(store_tx *tx, http_write *w)
{
    budget_change *c = w->arg;
    store_budget_line l;
    int status = line_get_or_404(tx, w, c->id, &l);
    if (status != STORE_OK)
        return status;
    json_t *before = http_budget_line_json(&l);
    status = line_check_on_writer(tx, w, &l, c->body, false);
    l.updated_at = w->now_ms;
    if (status == STORE_OK)
        status = store_tx_budget_line_update(tx, &l);
    if (status == STORE_CONFLICT)
        line_taken(w);
    if (status == STORE_OK)
        status = http_write_updated(tx, w, "budget_line.update", "budget_line", l.id, before,
                                    http_budget_line_json(&l));
    else
        json_decref(before);
    return status;
}

static int line_delete_write(store_tx *tx, http_write *w)
{
    budget_change *c = w->arg;
    store_budget_line l;
    int status = line_get_or_404(tx, w, c->id, &l);
    if (status == STORE_OK)
        status = store_tx_budget_line_delete(tx, c->id);
    if (status == STORE_OK)
        status = http_write_deleted(tx, w, "budget_line.delete", "budget_line", l.id, http_budget_line_json(&l));
    return status;
}

/* Checks the body on a scratch line with the reader's programme, so bad input is answered before it queues. */
static void line_submit(http_request *r, bool creating, http_write_fn fn)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    store_programme p;
    if (store_programme_read(r->thread->reader, &p) != STORE_OK) {
        json_decref(body);
        http_reply_problem(r, 500, "internal", "the programme could not be read", NULL);
        return;
    }
    store_budget_line scratch;
    memset(&scratch, 0, sizeof(scratch));
    errlist e;
    errlist_init(&e);
    line_apply_json(&scratch, body, &p, creating, &e);
    if (e.count) {
        json_decref(body);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    budget_change *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->body = body;
    c->id = r->id;
    http_write_submit(r, fn, c, change_free);
}

void http_budget_line_create(http_request *r) { line_submit(r, true, line_create_write); }
void http_budget_line_update(http_request *r) { line_submit(r, false, line_update_write); }

void http_budget_line_delete(http_request *r)
{
    budget_change *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->id = r->id;
    http_write_submit(r, line_delete_write, c, change_free);
}

/* ---- line reads ---- */
void http_budget_line_get(http_request *r)
{
    store_budget_line l;
    store_reader_version(r->thread->reader); /* see every commit acknowledged before this request */
    int status = store_budget_line_get(r->thread->reader, r->id, &l);
    if (status == STORE_OK)
        http_reply_json(r, 200, http_budget_line_json(&l));
    else
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           status == STORE_NOTFOUND ? "there is no budget line with this id"
                                                    : "the budget line could not be read",
                           NULL);
}

static void append_line(const store_budget_line *l, void *items)
{
    json_array_append_new(items, http_budget_line_json(l));
}

/* GET /api/v1/budget?category=&period=: the lines (within the period, when one is given), at most
 * STORE_BUDGET_LIST_MAX, by start. */
void http_budget_line_list(http_request *r)
{
    static const char *const allowed[] = {"category", "period", NULL};
    if (!http_query_only(r, allowed))
        return;
    errlist e;
    errlist_init(&e);
    char category[32], period[32];
    bool has_category = http_query(r, "category", category, sizeof(category), &e);
    bool has_period = http_query(r, "period", period, sizeof(period), &e);
    if (has_category && !http_budget_category_ok(category))
        errlist_add(&e, "category", "must be " CATEGORIES_TEXT);
    int64_t from = 0, to = 0;
    store_programme p;
    store_reader_version(r->thread->reader);
    if (store_programme_read(r->thread->reader, &p) != STORE_OK) {
        http_reply_problem(r, 500, "internal", "the programme could not be read", NULL);
        return;
    }
    const char *why = NULL;
    if (has_period && http_budget_period(&p, period, &from, &to, &why) != 0)
        errlist_add(&e, "period", "%s", why);
    if (e.count) {
        http_reply_problem(r, 400, "validation", "some query parameters are not valid", &e);
        return;
    }
    json_t *items = json_array();
    if (store_budget_lines(r->thread->reader, has_category ? category : NULL, from, to, append_line, items) !=
        STORE_OK) {
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the budget lines could not be read", NULL);
        return;
    }
    http_reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}
