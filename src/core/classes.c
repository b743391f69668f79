/* Customer classes from aggregates, scores and settings (see classes.h for the rules; docs/classes.md). */
#include "core/classes.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const char *const class_names[CLASS_COUNT] = {"prospect", "new", "main", "occasional", "at_risk", "lapsed"};

void classes_settings_default(class_settings *s)
{
    *s = (class_settings){.new_days = 30,
                          .lapsed_days = 365,
                          .at_risk_margin_pct = 150,
                          .at_risk_min_days = 30,
                          .at_risk_single_days = 90,
                          .main_rfm_min = 12,
                          .main_m_min = 4,
                          .value_horizon_days = 1095,
                          .value_min_tenure_days = 365};
}

/* How long without a purchase makes this person at risk, in ms. */
static int64_t at_risk_after_ms(const class_input *in, const class_settings *s)
{
    if (in->purchase_count < 2)
        return s->at_risk_single_days * CLASSES_DAY_MS;
    int64_t first = in->first_purchase_at ? in->first_purchase_at : in->last_purchase_at;
    int64_t span = in->last_purchase_at > first ? in->last_purchase_at - first : 0;
    int64_t interval = span / (in->purchase_count - 1);
    int64_t after = (int64_t)((__int128)interval * s->at_risk_margin_pct / 100);
    int64_t floor = s->at_risk_min_days * CLASSES_DAY_MS;
    return after > floor ? after : floor;
}

class_kind classes_of(const class_input *in, const class_settings *s, int64_t now)
{
    if (in->purchase_count <= 0)
        return CLASS_PROSPECT;
    int64_t quiet = now - in->last_purchase_at; /* time since the last purchase */
    if (quiet > s->lapsed_days * CLASSES_DAY_MS)
        return CLASS_LAPSED;
    if (quiet > at_risk_after_ms(in, s))
        return CLASS_AT_RISK;
    int64_t first = in->first_purchase_at ? in->first_purchase_at : in->last_purchase_at;
    if (now - first <= s->new_days * CLASSES_DAY_MS)
        return CLASS_NEW;
    if (in->r > 0 && in->f > 0 && in->m > 0 && in->r + in->f + in->m >= s->main_rfm_min && in->m >= s->main_m_min)
        return CLASS_MAIN;
    return CLASS_OCCASIONAL;
}

const char *classes_name(class_kind k) { return k >= 0 && k < CLASS_COUNT ? class_names[k] : "prospect"; }

int classes_from_name(const char *name, class_kind *out)
{
    for (int k = 0; name && k < CLASS_COUNT; k++)
        if (strcmp(name, class_names[k]) == 0) {
            *out = (class_kind)k;
            return 0;
        }
    return -1;
}

/* The settings as a table: name, place in the struct, and the range a manager may choose from. */
static const struct setting {
    const char *name;
    size_t offset;
    int min, max;
} settings[] = {
    {"new_days", offsetof(class_settings, new_days), 1, 365},
    {"lapsed_days", offsetof(class_settings, lapsed_days), 2, 3650},
    {"at_risk_margin_pct", offsetof(class_settings, at_risk_margin_pct), 100, 1000},
    {"at_risk_min_days", offsetof(class_settings, at_risk_min_days), 1, 3650},
    {"at_risk_single_days", offsetof(class_settings, at_risk_single_days), 1, 3650},
    {"main_rfm_min", offsetof(class_settings, main_rfm_min), 3, 15},
    {"main_m_min", offsetof(class_settings, main_m_min), 1, 5},
    {"value_horizon_days", offsetof(class_settings, value_horizon_days), 1, 7300},
    {"value_min_tenure_days", offsetof(class_settings, value_min_tenure_days), 1, 3650},
};
#define SETTINGS_COUNT (sizeof(settings) / sizeof(settings[0]))

static int *setting_at(class_settings *s, size_t i) { return (int *)((char *)s + settings[i].offset); }

json_t *classes_settings_json(const class_settings *s)
{
    json_t *o = json_object();
    for (size_t i = 0; i < SETTINGS_COUNT; i++)
        json_object_set_new(o, settings[i].name, json_integer(*setting_at((class_settings *)s, i)));
    return o;
}

static void apply_one(class_settings *s, const char *key, json_t *v, errlist *e)
{
    char field[64];
    snprintf(field, sizeof(field), "classes.%.40s", key);
    for (size_t i = 0; i < SETTINGS_COUNT; i++) {
        if (strcmp(key, settings[i].name) != 0)
            continue;
        if (!json_is_integer(v) || json_integer_value(v) < settings[i].min || json_integer_value(v) > settings[i].max)
            errlist_add(e, field, "must be a whole number from %d to %d", settings[i].min, settings[i].max);
        else
            *setting_at(s, i) = (int)json_integer_value(v);
        return;
    }
    errlist_add(e, field, "is not a known setting");
}

int classes_settings_apply(class_settings *s, json_t *body, errlist *e)
{
    int before = e->count;
    if (!json_is_object(body)) {
        errlist_add(e, "classes", "must be an object of class settings");
        return e->count - before;
    }
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) apply_one(s, key, v, e);
    return e->count - before;
}

int classes_settings_check(const class_settings *s, errlist *e)
{
    /* A lapse must come after the other thresholds, or a class could never be reached. */
    if (s->lapsed_days > s->new_days && s->lapsed_days > s->at_risk_min_days &&
        s->lapsed_days > s->at_risk_single_days)
        return 0;
    errlist_add(e, "classes.lapsed_days", "must be more than new_days, at_risk_min_days and at_risk_single_days");
    return 1;
}
