/* A rule's definition as evaluation uses it: private to src/core/rules_def.c, which parses it, rules.c, which keeps
 * it with the rule record, and rules_eval.c, which evaluates it. Callers outside src/core see only the incomplete
 * struct rule_def of rules.h. */
#ifndef BASHGAH_RULES_DEF_H
#define BASHGAH_RULES_DEF_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "core/errlist.h"
#include "core/rules.h"

#define RULE_FIELD_MAX 64 /* an error's field name, in bytes */

typedef enum rule_kind { KIND_PER_AMOUNT, KIND_MULTIPLIER, KIND_BONUS, KIND_COUNT } rule_kind;
typedef enum rule_rounding { ROUND_FLOOR, ROUND_NEAREST, ROUND_CEIL } rule_rounding;

/* A definition as evaluation uses it. Lists and the event name are borrowed from the definition's JSON. */
typedef struct rule_def {
    rule_kind kind;
    int64_t points;              /* per_amount: points per per_amount_minor; bonus: the bonus */
    int64_t per_amount_minor;
    int64_t multiplier_permille;
    rule_rounding rounding;
    bool per_item;               /* rounding_scope "item": computed per item line, then added */
    json_t *categories, *skus;   /* item conditions; NULL = every item */
    json_t *stores, *tiers;      /* NULL = any */
    unsigned days;               /* bit d: local weekday d (0 Sunday); 0 = any day */
    int hour_from, hour_to;      /* local hours [from, to), past midnight when from > to; -1 = any hour */
    bool first_purchase;
    int64_t min_amount_minor;
    const char *event_name;      /* custom events: NULL = any name */
    bool capped;
    rule_period cap_period;
    int64_t cap_points;
} rule_def;

/* Parses and checks def (a rule's definition) for the rule's event into d, whose lists and event name borrow
 * from def; 0, or -1 with each bad field in e. */
int rules_def_parse(json_t *def, const char *event, rule_def *d, errlist *e);
/* d in normal form (every default written out); a new reference. */
json_t *rules_def_to_json(const rule_def *d);

/* The index of s in names (NULL-terminated), or -1. */
int rules_name_index(const char *const *names, const char *s);
/* An enum given as a string: its index in names, or -1 (and an error naming field) when it is none of them. */
int rules_want_enum(json_t *v, const char *field, const char *const *names, errlist *e);
/* A whole number in [lo, hi] into *out; false (and an error naming field) when v is not one. */
bool rules_want_int(json_t *v, const char *field, int64_t lo, int64_t hi, int64_t *out, errlist *e);

#endif
