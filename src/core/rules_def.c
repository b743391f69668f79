/* A rule's definition: rules_def_parse checks its JSON field by field for the rule's kind and event (a table of
 * fields, each with its setter and the kinds and events it is for) and names each bad field; rules_def_to_json
 * writes the normal form back with every default. Also the checks of enums and whole numbers the rule record
 * shares (rules.c).
 *
 * Invariant: the limits on rates below keep every product evaluation makes (rules_eval.c) under 2^63. */
#include "core/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "core/rules_def.h"
#include "core/text.h"
#include "core/timefmt.h"

/* Rates are bounded so that (amount % per_amount_minor) * points < 10^12 * 10^6 fits an int64. */
#define RULE_RATE_POINTS_MAX 1000000           /* points per per_amount_minor */
#define RULE_PER_AMOUNT_MAX INT64_C(1000000000000) /* 10^12 minor units */
#define RULE_PERMILLE_MIN 1001                 /* a multiplier adds points; x1 would add nothing */
#define RULE_PERMILLE_MAX 100000               /* x100 */
#define RULE_BONUS_MAX INT64_C(1000000000)
#define RULE_TEXT_MAX 64 /* a category, sku, store or custom event name, in bytes */

static const char *const kind_names[] = {"per_amount", "multiplier", "bonus", NULL};
static const char *const rounding_names[] = {"floor", "nearest", "ceil", NULL};
static const char *const scope_names[] = {"total", "item", NULL};
static const char *const period_names[] = {"day", "week", "month", NULL};
static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

/* ---- small helpers (rules_name_index, rules_want_enum and rules_want_int are rules.c's too) ---- */

int rules_name_index(const char *const *names, const char *s)
{
    for (int i = 0; s && names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

/* "one of \"a\", \"b\"" for error messages. */
static void names_list(const char *const *names, char *out, size_t cap)
{
    out[0] = '\0';
    for (int i = 0; names[i]; i++) {
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%s\"%s\"", i ? ", " : "", names[i]);
    }
}

static void field_name(char out[RULE_FIELD_MAX], const char *parent, const char *key)
{
    snprintf(out, RULE_FIELD_MAX, "%s.%.*s", parent, (int)(RULE_FIELD_MAX / 2), key);
}

/* An enum given as a string; -1 (and an error naming field) when it is none of names. */
int rules_want_enum(json_t *v, const char *field, const char *const *names, errlist *e)
{
    int i = json_is_string(v) ? rules_name_index(names, json_string_value(v)) : -1;
    if (i < 0) {
        char list[160];
        names_list(names, list, sizeof(list));
        errlist_add(e, field, "must be one of %s", list);
    }
    return i;
}

bool rules_want_int(json_t *v, const char *field, int64_t lo, int64_t hi, int64_t *out, errlist *e)
{
    if (json_is_integer(v) && json_integer_value(v) >= lo && json_integer_value(v) <= hi) {
        *out = json_integer_value(v);
        return true;
    }
    errlist_add(e, field, "must be a whole number from %lld to %lld", (long long)lo, (long long)hi);
    return false;
}

/* A short identifier-like text: 1..RULE_TEXT_MAX bytes of valid UTF-8. */
static bool text_ok(json_t *v)
{
    return json_is_string(v) && json_string_length(v) >= 1 && json_string_length(v) <= RULE_TEXT_MAX &&
           text_valid_utf8(json_string_value(v), json_string_length(v));
}


/* ---- the definition: parsing, validation and its normal form ---- */

typedef enum def_scope { FOR_ANY_EVENT, FOR_PURCHASE, FOR_CUSTOM } def_scope;
typedef void (*def_setter)(rule_def *d, json_t *v, const char *field, errlist *e);

static void set_points(rule_def *d, json_t *v, const char *field, errlist *e)
{
    rules_want_int(v, field, 1, d->kind == KIND_BONUS ? RULE_BONUS_MAX : RULE_RATE_POINTS_MAX, &d->points, e);
}

static void set_per_amount(rule_def *d, json_t *v, const char *field, errlist *e)
{
    rules_want_int(v, field, 1, RULE_PER_AMOUNT_MAX, &d->per_amount_minor, e);
}

static void set_permille(rule_def *d, json_t *v, const char *field, errlist *e)
{
    if (!rules_want_int(v, field, RULE_PERMILLE_MIN, RULE_PERMILLE_MAX, &d->multiplier_permille, e))
        d->multiplier_permille = 0;
}

static void set_rounding(rule_def *d, json_t *v, const char *field, errlist *e)
{
    int i = rules_want_enum(v, field, rounding_names, e);
    if (i >= 0)
        d->rounding = (rule_rounding)i;
}

static void set_scope(rule_def *d, json_t *v, const char *field, errlist *e)
{
    int i = rules_want_enum(v, field, scope_names, e);
    if (i >= 0)
        d->per_item = i == 1;
}

/* A non-empty array of at most RULE_LIST_MAX values, each checked by ok; the first bad one is named. */
static json_t *want_list(json_t *v, const char *field, bool (*ok)(json_t *), const char *what, errlist *e)
{
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > RULE_LIST_MAX) {
        errlist_add(e, field, "must be a list of 1 to %d %s; leave it out for no condition", RULE_LIST_MAX, what);
        return NULL;
    }
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
        if (!ok(x)) {
            char f[RULE_FIELD_MAX];
            snprintf(f, sizeof(f), "%s[%zu]", field, i);
            errlist_add(e, f, "must be %s", what);
            return NULL;
        }
    }
    return v;
}

#define TEXT_WHAT "texts of 1 to 64 bytes"

static bool tier_ok(json_t *x) { return json_is_integer(x) && json_integer_value(x) >= 1; }

static void set_categories(rule_def *d, json_t *v, const char *field, errlist *e)
{
    d->categories = want_list(v, field, text_ok, TEXT_WHAT, e);
}

static void set_skus(rule_def *d, json_t *v, const char *field, errlist *e)
{
    d->skus = want_list(v, field, text_ok, TEXT_WHAT, e);
}

static void set_stores(rule_def *d, json_t *v, const char *field, errlist *e)
{
    d->stores = want_list(v, field, text_ok, TEXT_WHAT, e);
}

static void set_tiers(rule_def *d, json_t *v, const char *field, errlist *e)
{
    d->tiers = want_list(v, field, tier_ok, "tier ids (whole numbers from 1)", e);
}

static void set_days(rule_def *d, json_t *v, const char *field, errlist *e)
{
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 7) {
        errlist_add(e, field, "must be a list of 1 to 7 days such as [\"thu\", \"fri\"]");
        return;
    }
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
        char f[RULE_FIELD_MAX];
        snprintf(f, sizeof(f), "%s[%zu]", field, i);
        int day = rules_want_enum(x, f, day_names, e);
        if (day < 0)
            return;
        if (d->days & (1u << day)) {
            errlist_add(e, f, "repeats a day");
            return;
        }
        d->days |= 1u << day;
    }
}

/* Checks that object v has only the keys in allowed (NULL-terminated); names the first other one. */
static bool only_keys(json_t *v, const char *field, const char *const *allowed, errlist *e)
{
    const char *key;
    json_t *x;
    json_object_foreach(v, key, x) {
        if (rules_name_index(allowed, key) < 0) {
            char f[RULE_FIELD_MAX];
            field_name(f, field, key);
            errlist_add(e, f, "is not a known field");
            return false;
        }
    }
    return true;
}

static void set_hours(rule_def *d, json_t *v, const char *field, errlist *e)
{
    static const char *const keys[] = {"from", "to", NULL};
    if (!json_is_object(v)) {
        errlist_add(e, field, "must be an object {\"from\": 0..23, \"to\": 1..24} in local hours");
        return;
    }
    if (!only_keys(v, field, keys, e))
        return;
    char ffrom[RULE_FIELD_MAX], fto[RULE_FIELD_MAX];
    field_name(ffrom, field, "from");
    field_name(fto, field, "to");
    int64_t from = 0, to = 0;
    bool ok = rules_want_int(json_object_get(v, "from"), ffrom, 0, 23, &from, e);
    ok = rules_want_int(json_object_get(v, "to"), fto, 0, 24, &to, e) && ok;
    if (!ok)
        return;
    if (from == to || (from == 0 && to == 24)) {
        errlist_add(e, fto, "must differ from \"from\" (leave hours out for the whole day)");
        return;
    }
    d->hour_from = (int)from;
    d->hour_to = (int)to;
}

static void set_first_purchase(rule_def *d, json_t *v, const char *field, errlist *e)
{
    if (!json_is_boolean(v))
        errlist_add(e, field, "must be true or false");
    d->first_purchase = json_is_true(v);
}

static void set_min_amount(rule_def *d, json_t *v, const char *field, errlist *e)
{
    rules_want_int(v, field, 0, RULE_AMOUNT_MAX, &d->min_amount_minor, e);
}

static void set_event_name(rule_def *d, json_t *v, const char *field, errlist *e)
{
    if (!text_ok(v))
        errlist_add(e, field, "must be a text of 1 to %d bytes", RULE_TEXT_MAX);
    else
        d->event_name = json_string_value(v);
}

static void set_cap(rule_def *d, json_t *v, const char *field, errlist *e)
{
    static const char *const keys[] = {"period", "points", NULL};
    if (!json_is_object(v)) {
        errlist_add(e, field, "must be an object {\"period\": \"day\"|\"week\"|\"month\", \"points\": N}");
        return;
    }
    if (!only_keys(v, field, keys, e))
        return;
    char fperiod[RULE_FIELD_MAX], fpoints[RULE_FIELD_MAX];
    field_name(fperiod, field, "period");
    field_name(fpoints, field, "points");
    int period = rules_want_enum(json_object_get(v, "period"), fperiod, period_names, e);
    bool ok = rules_want_int(json_object_get(v, "points"), fpoints, 1, RULE_POINTS_MAX, &d->cap_points, e);
    if (period >= 0 && ok) {
        d->capped = true;
        d->cap_period = (rule_period)period;
    }
}

#define KIND_BIT(k) (1u << (k))
#define ALL_KINDS (KIND_BIT(KIND_PER_AMOUNT) | KIND_BIT(KIND_MULTIPLIER) | KIND_BIT(KIND_BONUS))

/* Every field a definition may hold besides "kind": which kinds take it and for which events. */
static const struct def_field {
    const char *name;
    def_setter set;
    unsigned kinds;
    def_scope scope;
} def_fields[] = {
    {"points", set_points, KIND_BIT(KIND_PER_AMOUNT) | KIND_BIT(KIND_BONUS), FOR_ANY_EVENT},
    {"per_amount_minor", set_per_amount, KIND_BIT(KIND_PER_AMOUNT), FOR_PURCHASE},
    {"rounding_scope", set_scope, KIND_BIT(KIND_PER_AMOUNT), FOR_PURCHASE},
    {"multiplier_permille", set_permille, KIND_BIT(KIND_MULTIPLIER), FOR_PURCHASE},
    {"rounding", set_rounding, KIND_BIT(KIND_PER_AMOUNT) | KIND_BIT(KIND_MULTIPLIER), FOR_PURCHASE},
    {"categories", set_categories, ALL_KINDS, FOR_PURCHASE},
    {"skus", set_skus, ALL_KINDS, FOR_PURCHASE},
    {"stores", set_stores, ALL_KINDS, FOR_PURCHASE},
    {"min_amount_minor", set_min_amount, ALL_KINDS, FOR_PURCHASE},
    {"first_purchase", set_first_purchase, ALL_KINDS, FOR_PURCHASE},
    {"event_name", set_event_name, ALL_KINDS, FOR_CUSTOM},
    {"days", set_days, ALL_KINDS, FOR_ANY_EVENT},
    {"hours", set_hours, ALL_KINDS, FOR_ANY_EVENT},
    {"tiers", set_tiers, ALL_KINDS, FOR_ANY_EVENT},
    {"cap", set_cap, ALL_KINDS, FOR_ANY_EVENT},
};
#define DEF_FIELDS (int)(sizeof(def_fields) / sizeof(def_fields[0]))

static void def_init(rule_def *d)
{
    memset(d, 0, sizeof(*d));
    d->points = 1;
    d->rounding = ROUND_FLOOR;
    d->hour_from = d->hour_to = -1;
}

/* Whether field f may appear in a definition of kind k for event; adds the error when not. */
static bool def_field_allowed(const struct def_field *f, rule_kind k, const char *event, const char *field,
                              errlist *e)
{
    if (!(f->kinds & KIND_BIT(k))) {
        errlist_add(e, field, "is not a field of a %s rule", kind_names[k]);
        return false;
    }
    if (f->scope == FOR_PURCHASE && strcmp(event, "purchase") != 0) {
        errlist_add(e, field, "applies to purchase rules only");
        return false;
    }
    if (f->scope == FOR_CUSTOM && strcmp(event, "custom") != 0) {
        errlist_add(e, field, "applies to custom event rules only");
        return false;
    }
    return true;
}

/* The checks that need the whole definition: the required field of each kind. */
static void def_check_required(const json_t *def, rule_kind k, errlist *e)
{
    static const char *const required[KIND_COUNT] = {"per_amount_minor", "multiplier_permille", "points"};
    if (!json_object_get(def, required[k])) {
        char f[RULE_FIELD_MAX];
        field_name(f, "definition", required[k]);
        errlist_add(e, f, "is required for a %s rule", kind_names[k]);
    }
}

/* Parses definition def of a rule for event into d. Returns the number of errors added to e; d borrows from def. */
int rules_def_parse(json_t *def, const char *event, rule_def *d, errlist *e)
{
    int before = e->count;
    def_init(d);
    if (!json_is_object(def)) {
        errlist_add(e, "definition", "must be a JSON object with a \"kind\"");
        return e->count - before;
    }
    int k = rules_want_enum(json_object_get(def, "kind"), "definition.kind", kind_names, e);
    if (k < 0)
        return e->count - before;
    d->kind = (rule_kind)k;
    if (strcmp(event, "purchase") != 0 && d->kind != KIND_BONUS)
        errlist_add(e, "definition.kind", "must be \"bonus\" for a %s rule (only purchases have amounts)", event);
    const char *key;
    json_t *v;
    json_object_foreach(def, key, v) {
        if (strcmp(key, "kind") == 0)
            continue;
        char f[RULE_FIELD_MAX];
        field_name(f, "definition", key);
        int i = 0;
        while (i < DEF_FIELDS && strcmp(def_fields[i].name, key) != 0)
            i++;
        if (i == DEF_FIELDS)
            errlist_add(e, f, "is not a known field");
        else if (def_field_allowed(&def_fields[i], d->kind, event, f, e))
            def_fields[i].set(d, v, f, e);
    }
    def_check_required(def, d->kind, e);
    return e->count - before;
}

/* The normal form of a parsed definition: the kind, its parameters with defaults written out, then each
 * condition that is set, in def_fields order (new reference). */
json_t *rules_def_to_json(const rule_def *d)
{
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string(kind_names[d->kind]));
    if (d->kind != KIND_MULTIPLIER)
        json_object_set_new(o, "points", json_integer(d->points));
    if (d->kind == KIND_PER_AMOUNT) {
        json_object_set_new(o, "per_amount_minor", json_integer(d->per_amount_minor));
        json_object_set_new(o, "rounding_scope", json_string(scope_names[d->per_item]));
    }
    if (d->kind == KIND_MULTIPLIER)
        json_object_set_new(o, "multiplier_permille", json_integer(d->multiplier_permille));
    if (d->kind != KIND_BONUS)
        json_object_set_new(o, "rounding", json_string(rounding_names[d->rounding]));
    if (d->categories)
        json_object_set_new(o, "categories", json_deep_copy(d->categories));
    if (d->skus)
        json_object_set_new(o, "skus", json_deep_copy(d->skus));
    if (d->stores)
        json_object_set_new(o, "stores", json_deep_copy(d->stores));
    if (d->min_amount_minor)
        json_object_set_new(o, "min_amount_minor", json_integer(d->min_amount_minor));
    if (d->first_purchase)
        json_object_set_new(o, "first_purchase", json_true());
    if (d->event_name)
        json_object_set_new(o, "event_name", json_string(d->event_name));
    if (d->days) {
        json_t *days = json_array();
        for (int i = 0; i < 7; i++)
            if (d->days & (1u << i))
                json_array_append_new(days, json_string(day_names[i]));
        json_object_set_new(o, "days", days);
    }
    if (d->hour_from >= 0)
        json_object_set_new(o, "hours", json_pack("{s:i, s:i}", "from", d->hour_from, "to", d->hour_to));
    if (d->tiers)
        json_object_set_new(o, "tiers", json_deep_copy(d->tiers));
    if (d->capped)
        json_object_set_new(o, "cap", json_pack("{s:s, s:I}", "period", period_names[d->cap_period], "points",
                                                (json_int_t)d->cap_points));
    return o;
}

const char *rules_period_name(rule_period p)
{
    return (int)p >= 0 && (int)p < 3 ? period_names[p] : "day";
}
