/* The segment filter language (segment_filter.h, docs/segments.md): one pass over the JSON tree that checks each
 * node and writes its SQL. A node is a group ({"all": [...]}, {"any": [...]}, {"not": node}) or a condition
 * ({"field", "op", "value"}). What a field may be compared with, and the SQL for it, come from fields[] below.
 *
 * NULL: a condition on a missing value (no RFM scores, no purchase yet) is false, and so its "not" is true:
 * "not" compiles to NOT coalesce(x, 0), which gives exactly that two-valued logic, while the conditions outside
 * any "not" stay plain comparisons that SQLite can answer from an index. "ne" is IS NOT, so a member without a
 * tier is "not in tier 3". */
#include "core/segment_filter.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "core/member.h"
#include "core/timefmt.h"

#define DAY_MS 86400000LL
#define PATH_MAX_LEN 64

typedef enum field_type {
    FT_INT,      /* whole numbers: counts, money, points, scores, ids */
    FT_TIME,     /* ms since the epoch; values as RFC 3339 or YYYY-MM-DD */
    FT_CHOICE,   /* text from a fixed list */
    FT_TEXT,     /* free text (time zones) */
    FT_BOOL,     /* 0 or 1 */
    FT_PRESENCE, /* only "exists": a phone, an email */
    FT_BIRTHDAY, /* "within_days" in the member's own calendar, "exists" */
    FT_ATTR      /* attributes.<name>: text, number or true/false */
} field_type;

typedef enum op {
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LTE,
    OP_GT,
    OP_GTE,
    OP_BETWEEN,
    OP_IN,
    OP_EXISTS,
    OP_BEFORE,
    OP_AFTER,
    OP_WITHIN_DAYS,
    OP_COUNT
} op;

static const char *const op_names[OP_COUNT] = {"eq", "ne", "lt", "lte", "gt", "gte", "between",
                                               "in", "exists", "before", "after", "within_days"};
static const char *const op_sql[OP_COUNT] = {
    [OP_EQ] = " = ?", [OP_NE] = " IS NOT ?", [OP_LT] = " < ?", [OP_LTE] = " <= ?", [OP_GT] = " > ?",
    [OP_GTE] = " >= ?", [OP_BEFORE] = " < ?", [OP_AFTER] = " >= ?",
};

#define O(x) (1u << (x))
#define OPS_ORDER (O(OP_EQ) | O(OP_NE) | O(OP_LT) | O(OP_LTE) | O(OP_GT) | O(OP_GTE) | O(OP_BETWEEN) | O(OP_IN))

static const unsigned type_ops[] = {
    [FT_INT] = OPS_ORDER,
    [FT_TIME] = O(OP_BEFORE) | O(OP_AFTER) | O(OP_BETWEEN) | O(OP_WITHIN_DAYS),
    [FT_CHOICE] = O(OP_EQ) | O(OP_NE) | O(OP_IN),
    [FT_TEXT] = O(OP_EQ) | O(OP_NE) | O(OP_IN),
    [FT_BOOL] = O(OP_EQ),
    [FT_PRESENCE] = O(OP_EXISTS),
    [FT_BIRTHDAY] = O(OP_WITHIN_DAYS) | O(OP_EXISTS),
    [FT_ATTR] = O(OP_EQ) | O(OP_NE) | O(OP_LT) | O(OP_LTE) | O(OP_GT) | O(OP_GTE) | O(OP_IN) | O(OP_EXISTS),
};

static const char *const kinds[] = {"member", "prospect", NULL};
static const char *const classes[] = {"prospect", "new", "main", "occasional", "at_risk", "lapsed", NULL};
static const char *const locales[] = {"fa", "en", NULL};

typedef struct field {
    const char *name;
    const char *column; /* SQL text: ours, never the user's */
    field_type type;
    int64_t min, max;            /* FT_INT */
    const char *const *choices;  /* FT_CHOICE */
    bool nullable;               /* then "exists" is allowed too */
    bool aggregate;              /* a column of member_stats (else of members: segment_sql.profile) */
} field;

#define BIG 4000000000000000000LL

static const field fields[] = {
    {"kind", "kind", FT_CHOICE, 0, 0, kinds, false},
    {"class", "class", FT_CHOICE, 0, 0, classes, false, true},
    {"tier", "tier_id", FT_INT, 1, BIG, NULL, true},
    {"rfm_r", "rfm_r", FT_INT, 1, 5, NULL, true, true},
    {"rfm_f", "rfm_f", FT_INT, 1, 5, NULL, true, true},
    {"rfm_m", "rfm_m", FT_INT, 1, 5, NULL, true, true},
    {"value", "value_minor", FT_INT, -BIG, BIG, NULL, true, true},
    {"spend", "total_spent_minor", FT_INT, -BIG, BIG, NULL, false, true},
    {"purchase_count", "purchase_count", FT_INT, 0, BIG, NULL, false, true},
    {"points_available", "points_available", FT_INT, -BIG, BIG, NULL, false, true},
    {"points_pending", "points_pending", FT_INT, 0, BIG, NULL, false, true},
    {"points_lifetime", "points_lifetime", FT_INT, -BIG, BIG, NULL, false, true},
    {"last_purchase", "last_purchase_at", FT_TIME, 0, 0, NULL, true, true},
    {"first_purchase", "first_purchase_at", FT_TIME, 0, 0, NULL, true, true},
    {"joined", "created_at", FT_TIME, 0, 0, NULL, false},
    {"consent_email", "consent_email", FT_BOOL, 0, 0, NULL, false},
    {"consent_sms", "consent_sms", FT_BOOL, 0, 0, NULL, false},
    {"locale", "locale", FT_CHOICE, 0, 0, locales, false},
    {"time_zone", "time_zone", FT_TEXT, 0, 0, NULL, false},
    {"phone", "phone", FT_PRESENCE, 0, 0, NULL, true},
    {"email", "email", FT_PRESENCE, 0, 0, NULL, true},
    {"birthday", MEMBER_BIRTHDAY_MD_SQL, FT_BIRTHDAY, 0, 0, NULL, true},
};
#define FIELDS_COUNT (sizeof(fields) / sizeof(fields[0]))

static const field attr_field = {"attributes.", "json_extract(attributes, ?)", FT_ATTR, 0, 0, NULL, true};

/* The state of one compilation. */
typedef struct compiler {
    const segment_context *ctx;
    segment_sql *out;
    errlist *e;
    int nodes;
} compiler;

/* ---- the output ---- */

void segment_sql_init(segment_sql *s) { memset(s, 0, sizeof(*s)); }

void segment_sql_release(segment_sql *s)
{
    for (int i = 0; i < s->count; i++)
        free(s->params[i].text);
    free(s->params);
    free(s->where);
    segment_sql_init(s);
}

static void emit(segment_sql *s, const char *text)
{
    size_t n = strlen(text);
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->where = realloc(s->where, s->cap);
        if (!s->where)
            abort();
    }
    memcpy(s->where + s->len, text, n + 1);
    s->len += n;
}

static segment_param *param_new(segment_sql *s, segment_param_type type)
{
    if (s->count == s->cap_params) {
        s->cap_params = s->cap_params ? s->cap_params * 2 : 8;
        s->params = realloc(s->params, (size_t)s->cap_params * sizeof(*s->params));
        if (!s->params)
            abort();
    }
    segment_param *p = &s->params[s->count++];
    memset(p, 0, sizeof(*p));
    p->type = type;
    return p;
}

static void param_int(segment_sql *s, int64_t v) { param_new(s, SEGMENT_PARAM_INT)->i = v; }

static void param_text(segment_sql *s, const char *v)
{
    segment_param *p = param_new(s, SEGMENT_PARAM_TEXT);
    p->text = strdup(v);
    if (!p->text)
        abort();
}

/* ---- values ---- */

/* Paths longer than an error's field are cut short (errlist keeps 63 bytes anyway). */
static void sub_path(char *out, const char *path, const char *key, int index)
{
    int n = index >= 0 ? snprintf(out, PATH_MAX_LEN, "%s.%s[%d]", path, key, index)
                       : snprintf(out, PATH_MAX_LEN, "%s.%s", path, key);
    if (n >= PATH_MAX_LEN)
        out[PATH_MAX_LEN - 1] = '\0';
}

/* path[index] */
static void item_path(char *out, const char *path, size_t index)
{
    if (snprintf(out, PATH_MAX_LEN, "%s[%zu]", path, index) >= PATH_MAX_LEN)
        out[PATH_MAX_LEN - 1] = '\0';
}

/* A value that fits field f (one element, not a list); false (with an error at path) when it does not. */
static bool value_ok(compiler *c, const field *f, const json_t *v, const char *path)
{
    switch (f->type) {
    case FT_INT:
        if (json_is_integer(v) && json_integer_value(v) >= f->min && json_integer_value(v) <= f->max)
            return true;
        if (f->max == 5)
            errlist_add(c->e, path, "must be a whole number from 1 to 5");
        else
            errlist_add(c->e, path, "must be a whole number%s", f->min >= 0 ? " not below 0" : "");
        return false;
    case FT_TIME: {
        int64_t ms;
        if (json_is_string(v) && timefmt_parse(json_string_value(v), &ms) == 0)
            return true;
        errlist_add(c->e, path, "must be a time (RFC 3339, e.g. 2026-01-31T00:00:00Z) or a date (YYYY-MM-DD)");
        return false;
    }
    case FT_CHOICE:
        for (const char *const *a = f->choices; json_is_string(v) && *a; a++)
            if (strcmp(*a, json_string_value(v)) == 0)
                return true;
        errlist_add(c->e, path, "must be one of the %s values (see docs/segments.md)", f->name);
        return false;
    case FT_TEXT:
        if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= SEGMENT_FILTER_TEXT_MAX)
            return true;
        errlist_add(c->e, path, "must be text of 1 to %d bytes", SEGMENT_FILTER_TEXT_MAX);
        return false;
    case FT_BOOL:
        if (json_is_boolean(v))
            return true;
        errlist_add(c->e, path, "must be true or false");
        return false;
    case FT_ATTR:
        if ((json_is_string(v) && json_string_length(v) <= SEGMENT_FILTER_TEXT_MAX) || json_is_number(v) ||
            json_is_boolean(v))
            return true;
        errlist_add(c->e, path, "must be text (at most %d bytes), a number, true or false", SEGMENT_FILTER_TEXT_MAX);
        return false;
    default:
        errlist_add(c->e, path, "is not used with this field");
        return false;
    }
}

/* Adds the parameter for a value that value_ok accepted. */
static void value_param(compiler *c, const field *f, const json_t *v)
{
    segment_sql *s = c->out;
    int64_t ms = 0;
    switch (f->type) {
    case FT_TIME:
        timefmt_parse(json_string_value(v), &ms);
        param_int(s, ms);
        break;
    case FT_BOOL:
        param_int(s, json_is_true(v));
        break;
    default:
        if (json_is_string(v))
            param_text(s, json_string_value(v));
        else if (json_is_integer(v))
            param_int(s, json_integer_value(v));
        else if (json_is_real(v))
            param_new(s, SEGMENT_PARAM_REAL)->r = json_real_value(v);
        else
            param_int(s, json_is_true(v)); /* JSON true and false read back from json_extract as 1 and 0 */
        break;
    }
}

/* ---- conditions ---- */

static const field *field_find(const char *name)
{
    for (size_t i = 0; i < FIELDS_COUNT; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    if (strncmp(name, "attributes.", 11) == 0)
        return &attr_field;
    return NULL;
}

/* The attribute's JSON path ($."name"), or false when the name cannot be one. */
static bool attr_path(const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    if (n == 0 || n > SEGMENT_FILTER_ATTR_NAME_MAX)
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == '"' || *p == '\\' || *p == 0x7f)
            return false;
    snprintf(out, cap, "$.\"%s\"", name);
    return true;
}

/* Writes the column (for an attribute: json_extract with its path as a parameter). */
static void emit_column(compiler *c, const field *f, const char *attr)
{
    emit(c->out, f->column);
    if (f->type == FT_ATTR)
        param_text(c->out, attr);
}

static void cond_in(compiler *c, const field *f, const char *attr, const json_t *v, const char *path)
{
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > SEGMENT_FILTER_IN_MAX) {
        errlist_add(c->e, path, "must be a list of 1 to %d values", SEGMENT_FILTER_IN_MAX);
        return;
    }
    bool ok = true;
    for (size_t i = 0; i < json_array_size(v); i++) {
        char p[PATH_MAX_LEN];
        item_path(p, path, i);
        ok = value_ok(c, f, json_array_get(v, i), p) && ok;
    }
    if (!ok)
        return;
    emit(c->out, "(");
    emit_column(c, f, attr);
    emit(c->out, " IN (");
    for (size_t i = 0; i < json_array_size(v); i++) {
        emit(c->out, i ? ", ?" : "?");
        value_param(c, f, json_array_get(v, i));
    }
    emit(c->out, "))");
}

static void cond_between(compiler *c, const field *f, const json_t *v, const char *path)
{
    char p0[PATH_MAX_LEN], p1[PATH_MAX_LEN];
    item_path(p0, path, 0);
    item_path(p1, path, 1);
    if (!json_is_array(v) || json_array_size(v) != 2) {
        errlist_add(c->e, path, "must be a list of two values: [from, to], both included");
        return;
    }
    bool ok = value_ok(c, f, json_array_get(v, 0), p0);
    if (!value_ok(c, f, json_array_get(v, 1), p1) || !ok)
        return;
    emit(c->out, "(");
    emit(c->out, f->column);
    emit(c->out, " BETWEEN ? AND ?)");
    value_param(c, f, json_array_get(v, 0));
    value_param(c, f, json_array_get(v, 1));
}

static void cond_exists(compiler *c, const field *f, const char *attr, const json_t *v, const char *path)
{
    if (!json_is_boolean(v)) {
        errlist_add(c->e, path, "must be true or false");
        return;
    }
    emit(c->out, "(");
    emit_column(c, f, attr);
    emit(c->out, json_is_true(v) ? " IS NOT NULL)" : " IS NULL)");
}

/* Birthdays within the next N days: per calendar, the birthday's month and day within the ranges of that
 * calendar's today (written as the index members_birthday has it). */
static void cond_birthday(compiler *c, const json_t *v, const char *path)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > SEGMENT_FILTER_BIRTHDAY_DAYS_MAX) {
        errlist_add(c->e, path, "must be a whole number of days from 0 to %d", SEGMENT_FILTER_BIRTHDAY_DAYS_MAX);
        return;
    }
    static const char *const cals[] = {"gregorian", "persian"};
    emit(c->out, "(");
    for (int k = 0; k < 2; k++) {
        segment_md_range r[2];
        int n = segment_birthday_ranges(cals[k], c->ctx->time_zone, c->ctx->now_ms, (int)json_integer_value(v), r);
        if (n < 0) {
            errlist_add(c->e, path, "cannot be worked out in the club's time zone");
            return;
        }
        emit(c->out, k ? " OR (birthday_calendar = ? AND (" : "(birthday_calendar = ? AND (");
        param_text(c->out, cals[k]);
        for (int i = 0; i < n; i++) {
            emit(c->out, i ? " OR " MEMBER_BIRTHDAY_MD_SQL " BETWEEN ? AND ?" : MEMBER_BIRTHDAY_MD_SQL " BETWEEN ? AND ?");
            param_int(c->out, r[i].from);
            param_int(c->out, r[i].to);
        }
        emit(c->out, "))");
    }
    emit(c->out, ")");
}

static void cond_within_days(compiler *c, const field *f, const json_t *v, const char *path)
{
    if (f->type == FT_BIRTHDAY) {
        cond_birthday(c, v, path);
        return;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > SEGMENT_FILTER_DAYS_MAX) {
        errlist_add(c->e, path, "must be a whole number of days from 0 to %d", SEGMENT_FILTER_DAYS_MAX);
        return;
    }
    emit(c->out, "(");
    emit(c->out, f->column);
    emit(c->out, " >= ?)");
    param_int(c->out, c->ctx->now_ms - json_integer_value(v) * DAY_MS);
}

static void cond_compare(compiler *c, const field *f, const char *attr, op o, const json_t *v, const char *path)
{
    if (!value_ok(c, f, v, path))
        return;
    emit(c->out, "(");
    emit_column(c, f, attr);
    emit(c->out, op_sql[o]);
    emit(c->out, ")");
    value_param(c, f, v);
}

static int op_find(const char *name)
{
    for (int i = 0; i < OP_COUNT; i++)
        if (strcmp(op_names[i], name) == 0)
            return i;
    return -1;
}

/* Lists the operators a field takes, for its error message. */
static void ops_list(const field *f, char *out, size_t cap)
{
    unsigned ops = type_ops[f->type] | (f->nullable ? O(OP_EXISTS) : 0);
    out[0] = '\0';
    size_t len = 0;
    for (int i = 0; i < OP_COUNT; i++)
        if (ops & O(i))
            len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s%s", len ? ", " : "", op_names[i]);
}

static void condition(compiler *c, const json_t *node, const char *path)
{
    static const char *const keys[] = {"field", "op", "value", NULL};
    char pf[PATH_MAX_LEN], po[PATH_MAX_LEN], pv[PATH_MAX_LEN];
    sub_path(pf, path, "field", -1);
    sub_path(po, path, "op", -1);
    sub_path(pv, path, "value", -1);
    int before = c->e->count;
    const char *key;
    json_t *unused;
    json_object_foreach((json_t *)node, key, unused) {
        bool known = false;
        for (const char *const *k = keys; *k && !known; k++)
            known = strcmp(*k, key) == 0;
        if (!known) {
            char p[PATH_MAX_LEN], k40[41];
            snprintf(k40, sizeof(k40), "%.40s", key);
            sub_path(p, path, k40, -1);
            errlist_add(c->e, p, "is not a known key: a node is all, any, not, or a condition (field, op, value)");
        }
    }
    json_t *jf = json_object_get(node, "field"), *jo = json_object_get(node, "op");
    json_t *v = json_object_get(node, "value");
    const field *f = json_is_string(jf) ? field_find(json_string_value(jf)) : NULL;
    if (f && !f->aggregate)
        c->out->profile = true;
    char attr[SEGMENT_FILTER_ATTR_NAME_MAX + 8] = "";
    if (!f)
        errlist_add(c->e, pf, "must name a field (see docs/segments.md), or attributes.<name>");
    else if (f->type == FT_ATTR && !attr_path(json_string_value(jf) + 11, attr, sizeof(attr)))
        errlist_add(c->e, pf, "must name an attribute of 1 to %d bytes without quotes, backslashes or control "
                              "characters", SEGMENT_FILTER_ATTR_NAME_MAX);
    int o = json_is_string(jo) ? op_find(json_string_value(jo)) : -1;
    char allowed[160];
    if (f && (o < 0 || !((type_ops[f->type] | (f->nullable ? O(OP_EXISTS) : 0)) & O(o)))) {
        ops_list(f, allowed, sizeof(allowed));
        errlist_add(c->e, po, "must be one of %s for %s", allowed, f->name);
    } else if (!f && o < 0) {
        errlist_add(c->e, po, "must be an operator (see docs/segments.md)");
    }
    if (!v)
        errlist_add(c->e, pv, "is required");
    if (c->e->count > before)
        return;
    switch ((op)o) {
    case OP_IN: cond_in(c, f, attr, v, pv); break;
    case OP_BETWEEN: cond_between(c, f, v, pv); break;
    case OP_EXISTS: cond_exists(c, f, attr, v, pv); break;
    case OP_WITHIN_DAYS: cond_within_days(c, f, v, pv); break;
    default: cond_compare(c, f, attr, (op)o, v, pv); break;
    }
}

/* ---- groups ---- */

static void node(compiler *c, const json_t *n, const char *path, int depth);

static void group(compiler *c, const char *key, const json_t *list, const char *path, int depth)
{
    bool all = strcmp(key, "all") == 0;
    char p[PATH_MAX_LEN];
    sub_path(p, path, key, -1);
    if (!json_is_array(list) || (!all && json_array_size(list) == 0)) {
        errlist_add(c->e, p, all ? "must be a list of nodes" : "must be a list of at least one node");
        return;
    }
    if (json_array_size(list) == 0) {
        emit(c->out, "1"); /* all of nothing: every member */
        return;
    }
    emit(c->out, "(");
    for (size_t i = 0; i < json_array_size(list); i++) {
        if (i)
            emit(c->out, all ? " AND " : " OR ");
        sub_path(p, path, key, (int)i);
        node(c, json_array_get(list, i), p, depth + 1);
    }
    emit(c->out, ")");
}

static void node(compiler *c, const json_t *n, const char *path, int depth)
{
    if (++c->nodes > SEGMENT_FILTER_NODES_MAX) {
        if (c->nodes == SEGMENT_FILTER_NODES_MAX + 1)
            errlist_add(c->e, path, "makes the filter too large: at most %d nodes", SEGMENT_FILTER_NODES_MAX);
        return;
    }
    if (depth > SEGMENT_FILTER_DEPTH_MAX) {
        errlist_add(c->e, path, "is nested too deep: at most %d levels", SEGMENT_FILTER_DEPTH_MAX);
        return;
    }
    if (!json_is_object(n)) {
        errlist_add(c->e, path, "must be an object: {\"all\": [...]}, {\"any\": [...]}, {\"not\": {...}} or a "
                                "condition {\"field\", \"op\", \"value\"}");
        return;
    }
    static const char *const groups[] = {"all", "any", "not"};
    for (int g = 0; g < 3; g++) {
        json_t *v = json_object_get(n, groups[g]);
        if (!v)
            continue;
        if (json_object_size(n) != 1) {
            errlist_add(c->e, path, "must hold only \"%s\" (a group has no other keys)", groups[g]);
            return;
        }
        if (g < 2) {
            group(c, groups[g], v, path, depth);
            return;
        }
        char p[PATH_MAX_LEN];
        sub_path(p, path, "not", -1);
        emit(c->out, "(NOT coalesce(");
        node(c, v, p, depth + 1);
        emit(c->out, ", 0))");
        return;
    }
    condition(c, n, path);
}

int segment_filter_compile(const json_t *filter, const char *path, const segment_context *ctx, segment_sql *out,
                           errlist *e)
{
    segment_sql_init(out);
    compiler c = {ctx, out, e, 0};
    int before = e->count;
    emit(out, "");
    node(&c, filter, path, 1);
    return e->count - before;
}

/* ---- birthdays ---- */

/* Month * 100 + day of cal's date; the day becomes 31 when it is the last of its month, so that the leap day a
 * month lacks this year (29 Feb, 30 Esfand) still falls inside a range ending there. */
static int md_of(UCalendar *cal, bool end, UErrorCode *err)
{
    int m = ucal_get(cal, UCAL_MONTH, err) + 1;
    int d = ucal_get(cal, UCAL_DATE, err);
    if (end && d == ucal_getLimit(cal, UCAL_DATE, UCAL_ACTUAL_MAXIMUM, err))
        d = 31;
    return m * 100 + d;
}

int segment_birthday_ranges(const char *cal_name, const char *tz, int64_t now_ms, int days, segment_md_range out[2])
{
    char locale[40];
    snprintf(locale, sizeof(locale), "en@calendar=%s", cal_name);
    UChar zone[128];
    u_uastrncpy(zone, tz && *tz ? tz : "UTC", 127);
    zone[127] = 0;
    UErrorCode err = U_ZERO_ERROR;
    UCalendar *cal = ucal_open(zone, -1, locale, UCAL_DEFAULT, &err);
    if (U_FAILURE(err))
        return -1;
    ucal_setMillis(cal, (UDate)now_ms, &err);
    int year0 = ucal_get(cal, UCAL_EXTENDED_YEAR, &err);
    int from = md_of(cal, false, &err);
    ucal_add(cal, UCAL_DATE, days, &err);
    int year1 = ucal_get(cal, UCAL_EXTENDED_YEAR, &err);
    int to = md_of(cal, true, &err);
    ucal_close(cal);
    if (U_FAILURE(err))
        return -1;
    if (year1 == year0) {
        out[0] = (segment_md_range){from, to};
        return 1;
    }
    if (year1 > year0 + 1 || to >= from) { /* a whole year or more: every day */
        out[0] = (segment_md_range){101, 1231};
        return 1;
    }
    out[0] = (segment_md_range){from, 1231};
    out[1] = (segment_md_range){101, to};
    return 2;
}
