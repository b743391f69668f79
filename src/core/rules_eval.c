/* The pure evaluation of earning rules for one purchase or event (rules_evaluate) and its explanation: which
 * rules apply, what each gives, in kind order (per-amount, then multipliers on their base, then bonuses), with
 * caps and the best-of choice. Split from rules.c, which holds the rule record and parses the definitions.
 *
 * Invariants: evaluation uses the definition rule_prepare parsed, or else parses it afresh, and skips, never
 * trusts, one that does not parse (a hand-edited database). Arithmetic is int64 only: amounts are clamped to
 * RULE_AMOUNT_MAX, points saturate at RULE_POINTS_MAX, and rules.c's limits on rates keep every product under
 * 2^63. Called by the purchase and event code. */
#include "core/rules.h"

#include <stdio.h>
#include <string.h>

#include "core/rules_def.h"

static int64_t sat_add(int64_t a, int64_t b, int64_t max) { return a > max - b ? max : a + b; }

static int64_t clamp_amount(int64_t a) { return a < 0 ? 0 : a > RULE_AMOUNT_MAX ? RULE_AMOUNT_MAX : a; }

/* a * b / c rounded by rnd, for 0 <= a <= RULE_AMOUNT_MAX, 0 <= b <= RULE_RATE_POINTS_MAX (or a permille),
 * 0 < c <= RULE_PER_AMOUNT_MAX (the limits rules.c checks); saturates at RULE_POINTS_MAX. Split as
 * (a / c) * b + (a % c) * b / c so that no product leaves int64: (a % c) * b < 10^12 * 10^6. */
static int64_t muldiv(int64_t a, int64_t b, int64_t c, rule_rounding rnd)
{
    int64_t whole;
    if (__builtin_mul_overflow(a / c, b, &whole) || whole >= RULE_POINTS_MAX)
        return RULE_POINTS_MAX;
    int64_t rest = (a % c) * b;
    int64_t part = rest / c, left = rest % c;
    if (left && (rnd == ROUND_CEIL || (rnd == ROUND_NEAREST && left * 2 >= c)))
        part++;
    return sat_add(whole, part, RULE_POINTS_MAX);
}

typedef struct rule_eval {
    const rule *r;
    rule_def d;
    bool applies;     /* every condition holds */
    int64_t computed; /* what the rule's formula gives */
    int64_t given;    /* after its cap and the best-of choice */
    bool capped;
} rule_eval;

static bool list_has_text(const json_t *list, const char *s)
{
    size_t i;
    json_t *x;
    if (!s)
        return false;
    json_array_foreach(list, i, x) {
        if (strcmp(json_string_value(x), s) == 0)
            return true;
    }
    return false;
}

static bool list_has_int(const json_t *list, int64_t v)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        if (json_integer_value(x) == v)
            return true;
    }
    return false;
}

static bool has_item_filter(const rule_def *d) { return d->categories || d->skus; }

/* An item passes when its category or its sku is listed (no lists: every item). */
static bool item_matches(const rule_def *d, const rule_item *it)
{
    if (!has_item_filter(d))
        return true;
    return (d->categories && list_has_text(d->categories, it->category)) ||
           (d->skus && list_has_text(d->skus, it->sku));
}

static int item_count(const rule_context *ctx)
{
    if (!ctx->items || ctx->nitems <= 0)
        return 0;
    return ctx->nitems < RULE_ITEMS_MAX ? ctx->nitems : RULE_ITEMS_MAX;
}

static bool any_item_matches(const rule_def *d, const rule_context *ctx)
{
    for (int i = 0; i < item_count(ctx); i++)
        if (item_matches(d, &ctx->items[i]))
            return true;
    return false;
}

static bool in_hours(const rule_def *d, int hour)
{
    if (d->hour_from < 0)
        return true;
    if (d->hour_from < d->hour_to)
        return hour >= d->hour_from && hour < d->hour_to;
    return hour >= d->hour_from || hour < d->hour_to; /* a window past midnight, e.g. 22 to 2 */
}

static bool in_window(const rule *r, int64_t at)
{
    return (!r->starts_at || at >= r->starts_at) && (!r->ends_at || at < r->ends_at);
}

/* Whether every condition of the rule holds for ctx (the rule's definition d already parsed). */
static bool rule_applies(const rule *r, const rule_def *d, const rule_context *ctx)
{
    bool purchase = strcmp(ctx->event, "purchase") == 0;
    if (!r->active || strcmp(r->event, ctx->event) != 0 || !in_window(r, ctx->occurred_at_ms))
        return false;
    if (d->event_name && (!ctx->event_name || strcmp(d->event_name, ctx->event_name) != 0))
        return false;
    if (d->stores && !list_has_text(d->stores, ctx->store))
        return false;
    if (d->days && (ctx->local_weekday < 0 || ctx->local_weekday > 6 || !(d->days & (1u << ctx->local_weekday))))
        return false;
    if (!in_hours(d, ctx->local_hour) || (d->tiers && !list_has_int(d->tiers, ctx->tier_id)))
        return false;
    if (d->first_purchase && !(purchase && ctx->first_purchase))
        return false;
    if (d->min_amount_minor && ctx->amount_minor < d->min_amount_minor)
        return false;
    return !has_item_filter(d) || any_item_matches(d, ctx);
}

/* What per-amount rule d gives on its items that also pass scope's item condition (scope NULL: d's own).
 * Without any item condition, the whole purchase amount is the basis; "item" rounding works on each line. */
static int64_t per_amount_points(const rule_def *d, const rule_context *ctx, const rule_def *scope)
{
    bool filtered = has_item_filter(d) || (scope && has_item_filter(scope));
    int n = item_count(ctx);
    if (!filtered && (!d->per_item || n == 0))
        return muldiv(clamp_amount(ctx->amount_minor), d->points, d->per_amount_minor, d->rounding);
    int64_t sum = 0, points = 0;
    for (int i = 0; i < n; i++) {
        const rule_item *it = &ctx->items[i];
        if (!item_matches(d, it) || (scope && !item_matches(scope, it)))
            continue;
        int64_t a = clamp_amount(it->amount_minor);
        if (d->per_item)
            points = sat_add(points, muldiv(a, d->points, d->per_amount_minor, d->rounding), RULE_POINTS_MAX);
        else
            sum = sat_add(sum, a, RULE_AMOUNT_MAX);
    }
    return d->per_item ? points : muldiv(sum, d->points, d->per_amount_minor, d->rounding);
}

/* A multiplier's extra points: (permille - 1000) per mille of the base points that the counted per-amount rules
 * gave for the multiplier's items; never more of a base rule than that rule actually gave (after its cap). */
static int64_t multiplier_points(const rule_eval *ev, int n, const rule_eval *m, const rule_context *ctx)
{
    int64_t base = 0;
    for (int j = 0; j < n; j++) {
        if (ev[j].d.kind != KIND_PER_AMOUNT || ev[j].given <= 0)
            continue;
        int64_t part = ev[j].given;
        if (has_item_filter(&m->d)) {
            int64_t scoped = per_amount_points(&ev[j].d, ctx, &m->d);
            part = scoped < part ? scoped : part;
        }
        base = sat_add(base, part, RULE_POINTS_MAX);
    }
    return muldiv(base, m->d.multiplier_permille - 1000, 1000, m->d.rounding);
}

/* Cuts points to what is left of the rule's cap in the period holding the event. */
static int64_t cap_apply(const rule_eval *x, const rule_context *ctx, int64_t points)
{
    if (!x->d.capped || points <= 0)
        return points;
    int64_t granted = ctx->granted ? ctx->granted(ctx->granted_arg, x->r->id, x->d.cap_period, ctx->occurred_at_ms) : 0;
    if (granted < 0)
        granted = 0;
    int64_t left = granted >= x->d.cap_points ? 0 : x->d.cap_points - granted;
    return points < left ? points : left;
}

/* Among the "best" rules of kind k that give something, keeps the one giving the most (ev is in priority order,
 * so a tie keeps the lower priority, then the lower id) and sets the others to nothing. */
static void keep_best(rule_eval *ev, int n, rule_kind k)
{
    int best = -1;
    for (int i = 0; i < n; i++)
        if (ev[i].applies && ev[i].d.kind == k && ev[i].r->best_of && ev[i].given > 0 &&
            (best < 0 || ev[i].given > ev[best].given))
            best = i;
    for (int i = 0; i < n; i++)
        if (i != best && ev[i].applies && ev[i].d.kind == k && ev[i].r->best_of)
            ev[i].given = 0;
}

/* Computes and caps every applying rule of kind k, then the best-of choice among them. */
static void evaluate_kind(rule_eval *ev, int n, rule_kind k, const rule_context *ctx)
{
    for (int i = 0; i < n; i++) {
        rule_eval *x = &ev[i];
        if (!x->applies || x->d.kind != k)
            continue;
        if (k == KIND_PER_AMOUNT)
            x->computed = per_amount_points(&x->d, ctx, NULL);
        else if (k == KIND_MULTIPLIER)
            x->computed = multiplier_points(ev, n, x, ctx);
        else
            x->computed = x->d.points;
        x->given = cap_apply(x, ctx, x->computed);
        x->capped = x->given < x->computed;
    }
    keep_best(ev, n, k);
}

static bool eval_before(const rule *a, const rule *b)
{
    return a->priority != b->priority ? a->priority < b->priority : a->id < b->id;
}

/* Fills ev with up to RULES_MAX rules in (priority, id) order; returns how many. */
static int eval_order(const rule *rules, int n, const rule_context *ctx, rule_eval *ev)
{
    int count = 0;
    for (int i = 0; i < n && count < RULES_MAX; i++) {
        int j = count++;
        while (j > 0 && eval_before(&rules[i], ev[j - 1].r)) {
            ev[j] = ev[j - 1];
            j--;
        }
        memset(&ev[j], 0, sizeof(ev[j]));
        ev[j].r = &rules[i];
    }
    errlist scratch;
    for (int i = 0; i < count; i++) {
        bool parsed = true;
        if (ev[i].r->parsed) {
            ev[i].d = *ev[i].r->parsed;
        } else {
            errlist_init(&scratch);
            parsed = rules_def_parse(ev[i].r->definition, ev[i].r->event, &ev[i].d, &scratch) == 0;
        }
        ev[i].applies = parsed && rule_applies(ev[i].r, &ev[i].d, ctx);
    }
    return count;
}

void rules_evaluate(const rule *rules, int n, const rule_context *ctx, rule_result *out)
{
    /* grants[] is filled up to count: clearing the whole (about 10 KB) for every purchase is wasted. */
    out->points = 0;
    out->count = 0;
    if (!ctx->event)
        return;
    rule_eval ev[RULES_MAX];
    int count = eval_order(rules, n, ctx, ev);
    /* Multipliers need the base that per-amount rules gave, so the kinds run in this order. */
    evaluate_kind(ev, count, KIND_PER_AMOUNT, ctx);
    evaluate_kind(ev, count, KIND_MULTIPLIER, ctx);
    evaluate_kind(ev, count, KIND_BONUS, ctx);
    for (int i = 0; i < count; i++) {
        if (!ev[i].applies || ev[i].given <= 0)
            continue;
        rule_grant *g = &out->grants[out->count++];
        memset(g, 0, sizeof(*g)); /* a grant is plain bytes: equal results compare equal */
        g->rule_id = ev[i].r->id;
        g->points = ev[i].given;
        g->capped = ev[i].capped;
        snprintf(g->rule, sizeof(g->rule), "%s%s", ev[i].r->name, ev[i].capped ? RULE_CAPPED_SUFFIX : "");
        out->points = sat_add(out->points, g->points, RULE_POINTS_MAX);
    }
}

json_t *rules_explanation(const rule_result *res)
{
    json_t *a = json_array();
    for (int i = 0; i < res->count; i++)
        json_array_append_new(a, json_pack("{s:I, s:s, s:I}", "rule_id", (json_int_t)res->grants[i].rule_id, "rule",
                                           res->grants[i].rule, "points", (json_int_t)res->grants[i].points));
    return a;
}
