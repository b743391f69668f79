/* Earning rules: the rule record and its JSON. rule_apply_json checks every field of the body, and the definition
 * through rules_def.c (which names each bad field of it and keeps its normal form); rule_to_json writes the record
 * back. The pure evaluation of a set of rules is in rules_eval.c; the local-time helpers a rule_context needs
 * (weekday, hour, cap periods, through ICU) in rules_time.c.
 *
 * Invariant: a rule that passed rule_apply_json holds its definition in normalised form (defaults written out),
 * which rules_def_parse accepts again. Called by the HTTP rules handlers (validation, JSON) and the store. */
#include "core/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rules_def.h"
#include "core/text.h"
#include "core/timefmt.h"

#define RULE_PRIORITY_MAX 1000000

static const char *const event_names[] = {"purchase", "joined", "profile_completed", "survey_answered", "custom", NULL};
static const char *const combine_names[] = {"stack", "best", NULL};

/* ---- the rule record ---- */

void rule_init(rule *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->event, sizeof(r->event), "purchase");
    r->active = true;
}

static void rule_unprepare(rule *r)
{
    free(r->parsed);
    r->parsed = NULL;
}

void rule_release(rule *r)
{
    rule_unprepare(r);
    json_decref(r->definition);
    r->definition = NULL;
}

void rule_prepare(rule *r)
{
    rule_unprepare(r);
    rule_def *d = malloc(sizeof(*d));
    errlist scratch;
    errlist_init(&scratch);
    if (d && rules_def_parse(r->definition, r->event, d, &scratch) == 0)
        r->parsed = d; /* borrows from r->definition, which r owns */
    else
        free(d);
}

void rule_copy(rule *dst, const rule *src)
{
    *dst = *src;
    dst->definition = src->definition ? json_deep_copy(src->definition) : NULL;
    dst->parsed = NULL; /* it would borrow from src's definition */
}

bool rules_event_valid(const char *event) { return rules_name_index(event_names, event) >= 0; }

typedef void (*rule_setter)(rule *r, json_t *v, const char *field, errlist *e);

static void set_name(rule *r, json_t *v, const char *field, errlist *e)
{
    char buf[4 * RULE_NAME_MAX + 8];
    int n = -1;
    if (json_is_string(v) && json_string_length(v) < sizeof(buf) / 2 &&
        text_valid_utf8(json_string_value(v), json_string_length(v)))
        n = text_normalize_persian(json_string_value(v), json_string_length(v), buf, sizeof(buf));
    if (n < 1 || n > RULE_NAME_MAX) {
        errlist_add(e, field, "must be a text of 1 to %d bytes", RULE_NAME_MAX);
        return;
    }
    memcpy(r->name, buf, (size_t)n + 1);
}

static void set_event(rule *r, json_t *v, const char *field, errlist *e)
{
    int i = rules_want_enum(v, field, event_names, e);
    if (i >= 0)
        snprintf(r->event, sizeof(r->event), "%s", event_names[i]);
}

static void set_priority(rule *r, json_t *v, const char *field, errlist *e)
{
    int64_t p;
    if (rules_want_int(v, field, 0, RULE_PRIORITY_MAX, &p, e))
        r->priority = (int)p;
}

static void set_combine(rule *r, json_t *v, const char *field, errlist *e)
{
    int i = rules_want_enum(v, field, combine_names, e);
    if (i >= 0)
        r->best_of = i == 1;
}

static void set_active(rule *r, json_t *v, const char *field, errlist *e)
{
    if (!json_is_boolean(v))
        errlist_add(e, field, "must be true or false");
    else
        r->active = json_is_true(v);
}

static void set_time(int64_t *dst, json_t *v, const char *field, errlist *e)
{
    int64_t ms;
    if (json_is_null(v))
        *dst = 0;
    else if (json_is_string(v) && timefmt_parse(json_string_value(v), &ms) == 0 && ms > 0)
        *dst = ms;
    else
        errlist_add(e, field, "must be an RFC 3339 time such as \"2026-03-20T00:00:00+03:30\", or null");
}

static void set_starts(rule *r, json_t *v, const char *field, errlist *e) { set_time(&r->starts_at, v, field, e); }
static void set_ends(rule *r, json_t *v, const char *field, errlist *e) { set_time(&r->ends_at, v, field, e); }

/* The body's fields other than "definition" (applied last, once the event is known). */
static const struct rule_field {
    const char *name;
    rule_setter set; /* NULL: read-only */
} rule_fields[] = {
    {"name", set_name},         {"event", set_event},         {"priority", set_priority},
    {"combine", set_combine},   {"active", set_active},       {"starts_at", set_starts},
    {"ends_at", set_ends},      {"id", NULL},                 {"created_at", NULL},
    {"updated_at", NULL},
};
#define RULE_FIELDS (int)(sizeof(rule_fields) / sizeof(rule_fields[0]))

static void apply_field(rule *r, const char *key, json_t *v, errlist *e)
{
    char f[RULE_FIELD_MAX];
    snprintf(f, sizeof(f), "%.40s", key);
    for (int i = 0; i < RULE_FIELDS; i++) {
        if (strcmp(rule_fields[i].name, key) != 0)
            continue;
        if (rule_fields[i].set)
            rule_fields[i].set(r, v, f, e);
        else
            errlist_add(e, f, "is read-only");
        return;
    }
    errlist_add(e, f, "is not a known field");
}

/* Validates def (the body's, or the current one when the body has none) for r's event, and keeps its normal
 * form in r. */
static void apply_definition(rule *r, json_t *def, errlist *e)
{
    if (!def)
        return;
    char *dump = json_dumps(def, JSON_COMPACT);
    size_t size = dump ? strlen(dump) : 0;
    free(dump);
    if (size > RULE_DEFINITION_MAX) {
        errlist_add(e, "definition", "must be at most %d bytes as compact JSON (is %zu)", RULE_DEFINITION_MAX, size);
        return;
    }
    rule_def d;
    if (rules_def_parse(def, r->event, &d, e) != 0)
        return;
    json_t *normal = rules_def_to_json(&d);
    rule_unprepare(r); /* it borrows from the definition replaced here */
    json_decref(r->definition);
    r->definition = normal;
}

int rule_apply_json(rule *r, json_t *body, bool creating, errlist *e)
{
    static const char *const required[] = {"name", "priority", "definition", NULL};
    int before = e->count;
    if (!json_is_object(body)) {
        errlist_add(e, "", "the body must be a JSON object");
        return e->count - before;
    }
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (strcmp(key, "definition") != 0)
            apply_field(r, key, v, e);
    }
    for (int i = 0; creating && required[i]; i++)
        if (!json_object_get(body, required[i]))
            errlist_add(e, required[i], "is required");
    if (r->starts_at && r->ends_at && r->ends_at <= r->starts_at)
        errlist_add(e, "ends_at", "must be after starts_at");
    json_t *def = json_object_get(body, "definition");
    if (!creating && !def && !r->definition)
        errlist_add(e, "definition", "is required (the stored one could not be read)");
    /* The current definition is checked again when only the event changes: a joined rule must be a bonus. */
    json_t *keep = def ? json_incref(def) : json_incref(r->definition);
    apply_definition(r, keep, e);
    json_decref(keep);
    return e->count - before;
}


json_t *rule_to_json(const rule *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "name", json_string(r->name));
    json_object_set_new(o, "event", json_string(r->event));
    json_object_set_new(o, "priority", json_integer(r->priority));
    json_object_set_new(o, "combine", json_string(combine_names[r->best_of]));
    json_object_set_new(o, "active", json_boolean(r->active));
    json_object_set_new(o, "starts_at", timefmt_json(r->starts_at));
    json_object_set_new(o, "ends_at", timefmt_json(r->ends_at));
    json_object_set_new(o, "definition", r->definition ? json_deep_copy(r->definition) : json_null());
    json_object_set_new(o, "created_at", timefmt_json(r->created_at));
    json_object_set_new(o, "updated_at", timefmt_json(r->updated_at));
    return o;
}
