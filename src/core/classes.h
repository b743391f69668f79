/* Customer classes, pure: which class a person is in at a time `now`, from their purchase aggregates, their RFM
 * scores and the club's class settings. No I/O and no clock: callers pass everything in. Called by
 * src/app/classes.c on a purchase or a return (in its commit) and by the recompute job; rules and defaults are
 * explained in docs/classes.md, which must change together with this file.
 *
 * The rules, first match wins:
 *   prospect   no purchase yet;
 *   lapsed     no purchase for more than lapsed_days;
 *   at_risk    no purchase for longer than the person's own usual interval ((last - first) / (count - 1)) times
 *              at_risk_margin_pct / 100, but never less than at_risk_min_days; one-purchase members have no
 *              interval and use at_risk_single_days;
 *   new        first purchase within new_days;
 *   main       RFM scores whose sum is at least main_rfm_min and whose M (spend) is at least main_m_min;
 *   occasional everyone else who has bought. */
#ifndef BASHGAH_CORE_CLASSES_H
#define BASHGAH_CORE_CLASSES_H

#include <jansson.h>
#include <stdint.h>

#include "core/errlist.h"

#define CLASSES_DAY_MS INT64_C(86400000)
#define CLASSES_NAME_MAX 16 /* bytes of the longest class name, with its NUL */

typedef enum class_kind {
    CLASS_PROSPECT = 0,
    CLASS_NEW,
    CLASS_MAIN,
    CLASS_OCCASIONAL,
    CLASS_AT_RISK,
    CLASS_LAPSED,
    CLASS_COUNT
} class_kind;

/* The club's thresholds (programme settings "classes"; defaults in classes_settings_default). */
typedef struct class_settings {
    int new_days;              /* 30: a first purchase this recent makes a new customer */
    int lapsed_days;           /* 365: no purchase for longer: lapsed */
    int at_risk_margin_pct;    /* 150: at risk after 1.5 times the usual interval without a purchase */
    int at_risk_min_days;      /* 30: ... but never sooner than this */
    int at_risk_single_days;   /* 90: one-purchase members are at risk after this */
    int main_rfm_min;          /* 12: R + F + M at least this ... */
    int main_m_min;            /* 4: ... and M at least this makes a main customer */
    int value_horizon_days;    /* 1095: the value estimate looks this far ahead (rfm.h) */
    int value_min_tenure_days; /* 365: purchase rates are taken over at least this long (rfm.h) */
} class_settings;

/* What the rules need of one person. Times in ms since the epoch, 0 for none; scores 1..5, 0 when unscored. */
typedef struct class_input {
    int64_t purchase_count, total_spent_minor, first_purchase_at, last_purchase_at;
    int r, f, m;
} class_input;

void classes_settings_default(class_settings *s);
/* The class of a person at now. */
class_kind classes_of(const class_input *in, const class_settings *s, int64_t now);
/* "prospect", "new", "main", "occasional", "at_risk", "lapsed". */
const char *classes_name(class_kind k);
/* 0 and *out on a known name, else -1. */
int classes_from_name(const char *name, class_kind *out);

/* The settings as the JSON object "classes" of the programme (new reference). */
json_t *classes_settings_json(const class_settings *s);
/* Applies a JSON merge of settings onto s (an object; errors name the field as "classes.FIELD"), each field
 * on its own. Returns the number of errors added. */
int classes_settings_apply(class_settings *s, json_t *body, errlist *e);
/* Checks the settings together (lapsed_days above the other thresholds); the number of errors added. */
int classes_settings_check(const class_settings *s, errlist *e);

#endif
