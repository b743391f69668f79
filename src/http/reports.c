/* /api/v1/reports/...: the club's key figures (docs/reports.md). The summary is the figures of now; the others are
 * time series for charts, one value per period (day, week or month in the club's time zone and calendar, so a
 * persian club gets Jalali months), in the one shape every series has:
 *   {"period", "time_zone", "calendar", "from", "to", "store", "series": [{"name", "points": [{"start", "end",
 *    "label", "value"}]}]}
 * All reads, on the loop thread's reader; a series is at most PERIODS_MAX periods. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/periods.h"
#include "core/timefmt.h"
#include "http/http.h"

#define DAY_MS 86400000LL
#define STORE_CODE_MAX 64

/* What a report's query asks for. */
typedef struct report_query {
    periods_unit unit;
    int64_t from, to;
    char shop[STORE_CODE_MAX + 1];
    bool has_shop;
    store_programme programme;
    calendar_kind calendar;
    int64_t starts[PERIODS_MAX + 1];
    char labels[PERIODS_MAX][16];
    int n;
} report_query;

static const int64_t default_span_days[] = {[PERIODS_DAY] = 30, [PERIODS_WEEK] = 84, [PERIODS_MONTH] = 365};

static void query_time(http_request *r, const char *name, int64_t *out, errlist *e)
{
    char v[64];
    if (http_query(r, name, v, sizeof(v), e) && v[0] && timefmt_parse(v, out) != 0)
        errlist_add(e, name, "must be a time (RFC 3339) or a date (YYYY-MM-DD)");
}

/* Reads period, from, to and store (those allowed) and splits [from, to) into periods; replies 400 or 500 and
 * returns false when it cannot. */
static bool query_read(http_request *r, report_query *q, bool series)
{
    static const char *const series_params[] = {"period", "from", "to", "store", NULL};
    static const char *const summary_params[] = {"store", NULL};
    if (!http_query_only(r, series ? series_params : summary_params))
        return false;
    errlist e;
    errlist_init(&e);
    char v[STORE_CODE_MAX + 2];
    q->unit = PERIODS_MONTH;
    if (series && http_query(r, "period", v, sizeof(v), &e) && periods_from_name(v, &q->unit) != 0)
        errlist_add(&e, "period", "must be day, week or month");
    q->to = r->now_ms;
    q->from = 0;
    if (series) {
        query_time(r, "from", &q->from, &e);
        query_time(r, "to", &q->to, &e);
        if (!q->from)
            q->from = q->to - default_span_days[q->unit] * DAY_MS;
        if (q->from >= q->to)
            errlist_add(&e, "from", "must be before to");
    }
    if (http_query(r, "store", v, sizeof(v), &e) && v[0]) {
        if (strlen(v) > STORE_CODE_MAX)
            errlist_add(&e, "store", "must be at most %d bytes", STORE_CODE_MAX);
        snprintf(q->shop, sizeof(q->shop), "%.*s", STORE_CODE_MAX, v);
        q->has_shop = true;
    }
    if (e.count == 0 && store_programme_read(r->thread->reader, &q->programme) != STORE_OK) {
        http_reply_problem(r, 500, "internal", "the programme could not be read", NULL);
        return false;
    }
    if (e.count == 0 && calendar_from_name(q->programme.calendar, &q->calendar) != 0)
        q->calendar = CALENDAR_GREGORIAN;
    if (e.count == 0 && series &&
        periods_split(q->calendar, q->programme.time_zone, q->unit, q->from, q->to, q->starts, q->labels, PERIODS_MAX,
                      &q->n) != 0)
        errlist_add(&e, "from", "the range holds more than %d periods (or the club's time zone is unknown)",
                    PERIODS_MAX);
    if (e.count == 0)
        return true;
    http_reply_problem(r, 400, "validation", "the query has invalid values", &e);
    return false;
}

static const char *shop_of(const report_query *q) { return q->has_shop ? q->shop : NULL; }

static json_t *series_doc(const report_query *q)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:[]}", "period", periods_name(q->unit), "time_zone",
                     q->programme.time_zone, "calendar", calendar_name(q->calendar), "from", timefmt_json(q->from),
                     "to", timefmt_json(q->to), "store", q->has_shop ? json_string(q->shop) : json_null(), "series");
}

/* Adds an empty series called name to doc and returns its points array (borrowed). */
static json_t *series_add(json_t *doc, const char *name)
{
    json_t *points = json_array();
    json_array_append_new(json_object_get(doc, "series"), json_pack("{s:s, s:o}", "name", name, "points", points));
    return points;
}

static void point_add(json_t *points, const report_query *q, int i, json_t *value)
{
    json_array_append_new(points, json_pack("{s:o, s:o, s:s, s:o}", "start", timefmt_json(q->starts[i]), "end",
                                            timefmt_json(q->starts[i + 1]), "label", q->labels[i], "value", value));
}

static void internal(http_request *r, json_t *doc)
{
    json_decref(doc);
    http_reply_problem(r, 500, "internal", "the figures could not be read", NULL);
}

/* A share in thousandths (rounded down), as the programme's other ratios (multiplier_permille); null when there
 * is nothing to share out. Whole numbers, so no binary fraction shows in the JSON. */
static json_t *permille(int64_t part, int64_t whole)
{
    return whole > 0 ? json_integer(part * 1000 / whole) : json_null();
}

static void count_class(const char *cls, int64_t n, void *obj) { json_object_set_new(obj, cls, json_integer(n)); }

void http_report_summary(http_request *r)
{
    report_query *q = calloc(1, sizeof(*q));
    if (!q)
        abort();
    store_figures f;
    json_t *classes = json_object();
    bool ok = query_read(r, q, false);
    if (ok && (store_report_figures(r->thread->reader, r->now_ms, shop_of(q), &f) != STORE_OK ||
               store_report_classes_now(r->thread->reader, count_class, classes) != STORE_OK)) {
        internal(r, classes);
        ok = false;
        classes = NULL;
    }
    if (!ok) {
        json_decref(classes);
        free(q);
        return;
    }
    json_t *doc = json_pack(
        "{s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:o, s:o, s:I, s:I, s:I, s:s, s:o}", "at",
        timefmt_json(r->now_ms), "store", q->has_shop ? json_string(q->shop) : json_null(), "members",
        (json_int_t)f.members, "active_30", (json_int_t)f.active_30, "active_90", (json_int_t)f.active_90, "buyers",
        (json_int_t)f.buyers, "repeat_buyers", (json_int_t)f.repeat_buyers, "repeat_purchase_permille",
        permille(f.repeat_buyers, f.buyers), "earners", (json_int_t)f.earners, "redeemers", (json_int_t)f.redeemers,
        "redemption_permille", permille(f.redeemers, f.earners), "average_spend_minor",
        f.buyers ? json_integer(f.spend_minor / f.buyers) : json_null(), "points_outstanding",
        (json_int_t)f.points_outstanding, "point_value_minor", (json_int_t)q->programme.point_value_minor,
        "liability_minor", (json_int_t)(f.points_outstanding * q->programme.point_value_minor), "currency",
        q->programme.currency, "classes", classes);
    free(q);
    http_reply_json(r, 200, doc);
}

static const char *const class_names[] = {"prospect", "new", "main", "occasional", "at_risk", "lapsed"};
#define CLASSES (int)(sizeof(class_names) / sizeof(class_names[0]))

typedef struct class_counts {
    int64_t n[CLASSES];
} class_counts;

static void add_class(const char *cls, int64_t n, void *arg)
{
    class_counts *c = arg;
    for (int i = 0; i < CLASSES; i++)
        if (strcmp(cls, class_names[i]) == 0)
            c->n[i] = n;
}

/* Members by class at the end of each period (or now, for the period still running). */
void http_report_classes(http_request *r)
{
    report_query *q = calloc(1, sizeof(*q));
    if (!q)
        abort();
    if (!query_read(r, q, true)) {
        free(q);
        return;
    }
    json_t *doc = series_doc(q);
    json_object_set_new(doc, "store", json_null()); /* classes are the club's, not a store's */
    json_t *points[CLASSES];
    for (int k = 0; k < CLASSES; k++)
        points[k] = series_add(doc, class_names[k]);
    /* Periods over by now, from the class history in one pass; the running one (and any later) from the member
     * rows, which say where everyone is now. */
    int past = 0;
    while (past < q->n && q->starts[past + 1] < r->now_ms)
        past++;
    int64_t *counts = calloc((size_t)q->n * CLASSES, sizeof(*counts));
    if (!counts)
        abort();
    int status = store_report_classes_series(r->thread->reader, q->starts + 1, past, class_names, CLASSES, counts);
    class_counts now = {{0}};
    if (status == STORE_OK && past < q->n)
        status = store_report_classes_now(r->thread->reader, add_class, &now);
    for (int i = 0; status == STORE_OK && i < q->n; i++)
        for (int k = 0; k < CLASSES; k++)
            point_add(points[k], q, i, json_integer(i < past ? counts[i * CLASSES + k] : now.n[k]));
    free(counts);
    if (status != STORE_OK) {
        free(q);
        internal(r, doc);
        return;
    }
    free(q);
    http_reply_json(r, 200, doc);
}

/* A time series report: names[k] is series k; fill sets v[k] (a new reference) for period i of q. */
#define SERIES_MAX 5
typedef int (*period_fill)(store_reader *rd, const report_query *q, int i, json_t **v);

static void period_report(http_request *r, const char *const *names, int n, period_fill fill)
{
    if (n > SERIES_MAX)
        abort(); /* a report with more series than SERIES_MAX: raise it */
    report_query *q = calloc(1, sizeof(*q));
    if (!q)
        abort();
    if (!query_read(r, q, true)) {
        free(q);
        return;
    }
    json_t *doc = series_doc(q), *points[SERIES_MAX];
    for (int k = 0; k < n; k++)
        points[k] = series_add(doc, names[k]);
    for (int i = 0; i < q->n; i++) {
        json_t *v[SERIES_MAX] = {NULL};
        if (fill(r->thread->reader, q, i, v) != STORE_OK) {
            for (int k = 0; k < n; k++)
                json_decref(v[k]);
            free(q);
            internal(r, doc);
            return;
        }
        for (int k = 0; k < n; k++)
            point_add(points[k], q, i, v[k]);
    }
    free(q);
    http_reply_json(r, 200, doc);
}

/* New members per period, and the members who bought in it (at the store). */
static int members_fill(store_reader *rd, const report_query *q, int i, json_t **v)
{
    int64_t n = 0, count, amount, buyers;
    int status = store_report_joined(rd, q->starts[i], q->starts[i + 1], &n);
    if (status == STORE_OK)
        status = store_report_sales(rd, q->starts[i], q->starts[i + 1], shop_of(q), &count, &amount, &buyers);
    if (status != STORE_OK)
        return status;
    v[0] = json_integer(n);
    v[1] = json_integer(buyers);
    return STORE_OK;
}

void http_report_members(http_request *r)
{
    static const char *const names[] = {"new", "active"};
    period_report(r, names, 2, members_fill);
}

/* Points issued, redeemed, expired, adjusted and gifted (by campaigns and moments) per period. */
static int points_fill(store_reader *rd, const report_query *q, int i, json_t **v)
{
    store_points_moved m;
    int status = store_report_points(rd, q->starts[i], q->starts[i + 1], shop_of(q), &m);
    if (status != STORE_OK)
        return status;
    v[0] = json_integer(m.issued);
    v[1] = json_integer(m.redeemed);
    v[2] = json_integer(m.expired);
    v[3] = json_integer(m.adjusted);
    v[4] = json_integer(m.gifted);
    return STORE_OK;
}

void http_report_points(http_request *r)
{
    static const char *const names[] = {"issued", "redeemed", "expired", "adjusted", "gifted"};
    period_report(r, names, 5, points_fill);
}

/* Purchases, money (less returns), buyers and the average spend per buyer, per period. */
static int sales_fill(store_reader *rd, const report_query *q, int i, json_t **v)
{
    int64_t count, amount, buyers;
    int status = store_report_sales(rd, q->starts[i], q->starts[i + 1], shop_of(q), &count, &amount, &buyers);
    if (status != STORE_OK)
        return status;
    v[0] = json_integer(count);
    v[1] = json_integer(amount);
    v[2] = json_integer(buyers);
    v[3] = buyers ? json_integer(amount / buyers) : json_null();
    return STORE_OK;
}

void http_report_sales(http_request *r)
{
    static const char *const names[] = {"purchases", "spend_minor", "buyers", "average_spend_minor"};
    period_report(r, names, 4, sales_fill);
}
