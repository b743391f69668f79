/* A rule's definition as evaluation uses it: private to src/core/rules.c, which parses it, and rules_eval.c,
 * which evaluates it. Callers outside src/core see only the incomplete struct rule_def of rules.h. */
#ifndef BASHGAH_RULES_DEF_H
#define BASHGAH_RULES_DEF_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "core/errlist.h"
#include "core/rules.h"

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

#endif
