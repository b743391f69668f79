/* Tier qualification rules: pure functions over the tiers, a member's activity and now (see tiers.h). */
#include "core/tiers.h"

#include <string.h>

static const char *const basis_names[] = {[TIER_BASIS_POINTS] = "points", [TIER_BASIS_SPEND] = "spend"};

const char *tier_basis_name(tier_basis b)
{
    return (size_t)b < sizeof(basis_names) / sizeof(basis_names[0]) ? basis_names[b] : "points";
}

int tier_basis_from_name(const char *name, tier_basis *out)
{
    for (size_t i = 0; i < sizeof(basis_names) / sizeof(basis_names[0]); i++)
        if (name && strcmp(name, basis_names[i]) == 0) {
            *out = (tier_basis)i;
            return 0;
        }
    return -1;
}

int64_t tier_window_start(const tier_rule *t, int64_t now) { return now - t->window_days * TIER_DAY_MS; }

int tier_qualified(const tier_rule *tiers, int n, const int64_t *metric)
{
    for (int i = n - 1; i >= 0; i--)
        if (metric[i] >= tiers[i].threshold)
            return i;
    return -1;
}

int64_t tier_lapse_at(const tier_event *ev, size_t n, int64_t threshold, int64_t window_ms)
{
    if (threshold <= 0)
        return 0;
    int64_t inside = 0;
    for (size_t i = 0; i < n; i++)
        inside += ev[i].amount;
    if (inside < threshold)
        return 1; /* lapsed already: a time long past */
    /* Events at the same time leave together: a return and a purchase in the same millisecond must not make the
     * sum dip below the threshold between them. */
    for (size_t i = 0; i < n;) {
        int64_t at = ev[i].at;
        for (; i < n && ev[i].at == at; i++)
            inside -= ev[i].amount;
        if (inside < threshold)
            return at + window_ms;
    }
    return 1; /* not reached: with every event gone the sum is 0, below a positive threshold */
}

tier_decision tier_decide(const tier_rule *tiers, int n, int current, int64_t review_at, int qualified, int64_t now)
{
    tier_decision d = {.to = current, .review_at = review_at};
    if (current >= n)
        current = d.to = -1; /* a tier that no longer exists counts as none */
    if (qualified > current)
        d.to = qualified; /* upgrades (and a first tier) happen at once */
    else if (qualified < current && review_at && review_at <= now)
        d.to = qualified; /* a downgrade waits for the review date */
    d.changed = d.to != current;
    if (d.to < 0 || tiers[d.to].threshold <= 0) {
        d.review_at = 0; /* nothing to lose: never reviewed */
    } else if (qualified >= d.to) {
        /* Qualifies: a date in the future stays (new activity only moves the lapse later, and the review will
         * find that); a new tier, a date that has come, or none gets a fresh one. */
        d.needs_lapse = d.changed || review_at == 0 || review_at <= now;
    } else if (review_at == 0) {
        d.review_at = now + tiers[d.to].grace_days * TIER_DAY_MS;
    }
    return d;
}

int64_t tier_review_date(const tier_rule *t, int64_t lapse_at, int64_t now)
{
    if (lapse_at == 0)
        return 0;
    int64_t at = lapse_at + t->grace_days * TIER_DAY_MS;
    return at > now ? at : now + 1;
}
