/* The points ledger's operations (see points.h for the invariants). Each runs inside the caller's write
 * transaction, so a failure anywhere leaves nothing behind; the writer's savepoint per job makes that so. */
#include "app/points.h"

#include <stdio.h>
#include <string.h>

#include "core/calendar.h"

#define DAY_MS (24LL * 3600 * 1000)

static void member_account(int64_t member_id, char out[40]) { snprintf(out, 40, "member:%lld", (long long)member_id); }

int points_programme_get(store_tx *tx, points_programme *out) { return store_tx_programme_get(tx, out); }

int points_balance_get(store_tx *tx, int64_t member_id, points_balance *out)
{
    store_member_points mp;
    int status = store_tx_member_points(tx, member_id, &mp);
    if (status == STORE_OK) {
        out->available = mp.available;
        out->pending = mp.pending;
        out->lifetime = mp.lifetime;
    }
    return status;
}

/* One posting; the first of an operation starts its entry, the others join it. */
static int post(store_tx *tx, const char *from, const char *to, int64_t points, int64_t member_id, int64_t lot_id,
                int64_t now, const points_ref *ref, int64_t *entry)
{
    store_posting p = {.entry_id = *entry, .at = now, .points = points, .kind = ref->kind, .member_id = member_id,
                       .lot_id = lot_id, .transaction_id = ref->transaction_id, .redemption_id = ref->redemption_id,
                       .actor = ref->actor, .explanation = ref->explanation,
                       .explanation_text = ref->explanation_text};
    size_t from_len = strlen(from), to_len = strlen(to);
    if (from_len >= sizeof(p.from_account) || to_len >= sizeof(p.to_account))
        return STORE_ERROR; /* account names are made here and fit; never truncate one */
    memcpy(p.from_account, from, from_len + 1);
    memcpy(p.to_account, to, to_len + 1);
    int status = store_tx_posting_insert(tx, &p);
    *entry = p.entry_id;
    return status;
}

/* When points received at now expire under the programme's policy (0: never); -1 when the settings are
 * unusable (never "never" by mistake). */
static int64_t expiry_of(const points_programme *p, int64_t now)
{
    calendar_kind cal;
    int64_t end;
    if (strcmp(p->expiry_policy, "days") == 0)
        return now + (int64_t)p->expiry_days * DAY_MS;
    if (strcmp(p->expiry_policy, "never") == 0)
        return 0;
    if (calendar_from_name(p->calendar, &cal) != 0 ||
        calendar_period_end(cal, p->time_zone, now,
                            strcmp(p->expiry_policy, "end_of_year") == 0 ? CALENDAR_YEAR : CALENDAR_MONTH, &end) != 0)
        return -1;
    return end;
}

/* The lot and posting of a credit to a member whose aggregates are mp (read in this job); *d gets what the credit
 * adds to them, for the caller to write. */
static int credit_lot(store_tx *tx, const points_programme *p, const store_member_points *mp, int64_t member_id,
                      int64_t points, int64_t now, const char *from, bool immediate, bool lifetime,
                      const points_ref *ref, points_delta *d)
{
    memset(d, 0, sizeof(*d));
    if (points <= 0)
        return STORE_OK;
    bool matured = immediate || p->pending_days <= 0;
    int64_t owed = mp->available < 0 ? -mp->available : 0;
    store_lot lot = {.member_id = member_id, .points = points, .earned_at = now,
                     .available_at = matured ? now : now + (int64_t)p->pending_days * DAY_MS, .matured = matured,
                     .expires_at = expiry_of(p, now), .transaction_id = ref->transaction_id};
    if (lot.expires_at < 0)
        return STORE_ERROR;
    lot.remaining = matured ? points - (owed < points ? owed : points) : points;
    char to[40];
    member_account(member_id, to);
    int64_t entry = 0;
    int status;
    if ((status = store_tx_lot_insert(tx, &lot)) != STORE_OK ||
        (status = post(tx, from, to, points, member_id, lot.id, now, ref, &entry)) != STORE_OK)
        return status;
    d->available = matured ? points : 0;
    d->pending = matured ? 0 : points;
    d->lifetime = lifetime ? points : 0;
    return STORE_OK;
}

/* Puts points into a new lot of the member, from `from`: pending for the programme's pending days (unless
 * immediate), repaying what the member owes first once available. */
static int credit(store_tx *tx, const points_programme *p, int64_t member_id, int64_t points, int64_t now,
                  const char *from, bool immediate, bool lifetime, const points_ref *ref)
{
    if (points <= 0)
        return STORE_OK;
    store_member_points mp;
    points_delta d;
    int status = store_tx_member_points(tx, member_id, &mp);
    if (status == STORE_OK)
        status = credit_lot(tx, p, &mp, member_id, points, now, from, immediate, lifetime, ref, &d);
    if (status != STORE_OK)
        return status;
    return store_tx_member_points_add(tx, member_id, d.available, d.pending, d.lifetime);
}

int points_earn_lot(store_tx *tx, const points_programme *p, const store_member_points *mp, int64_t member_id,
                    int64_t points, int64_t now, const points_ref *ref, points_delta *d)
{
    return credit_lot(tx, p, mp, member_id, points, now, "club:issued", false, strcmp(ref->kind, "earn") == 0, ref, d);
}

int points_earn(store_tx *tx, const points_programme *p, int64_t member_id, int64_t points, int64_t now,
                const points_ref *ref)
{
    return credit(tx, p, member_id, points, now, "club:issued", false, strcmp(ref->kind, "earn") == 0, ref);
}

int points_earn_from(store_tx *tx, const points_programme *p, int64_t member_id, int64_t points, int64_t now,
                     const char *from_account, const points_ref *ref)
{
    return credit(tx, p, member_id, points, now, from_account, false, strcmp(ref->kind, "earn") == 0, ref);
}

int points_refund(store_tx *tx, const points_programme *p, int64_t member_id, int64_t points, int64_t now,
                  const char *from_account, const points_ref *ref)
{
    return credit(tx, p, member_id, points, now, from_account, true, false, ref);
}

/* Takes up to `need` points from the member's lots (matured: 1 available, 0 pending; transaction_id: only that
 * purchase's lots), those expiring first, posting each to `to`. *taken is how many it took. */
static int take_from_lots(store_tx *tx, int64_t member_id, int matured, int64_t transaction_id, int64_t need,
                          int64_t now, const char *to, const points_ref *ref, int64_t *entry, int64_t *taken_available,
                          int64_t *taken_pending)
{
    char from[40];
    member_account(member_id, from);
    store_lot lots[64];
    while (need > 0) {
        int n = 0;
        int status = store_tx_lots_open(tx, member_id, matured, transaction_id, lots, 64, &n);
        if (status != STORE_OK)
            return status;
        if (n == 0)
            break;
        for (int i = 0; i < n && need > 0; i++) {
            int64_t take = lots[i].remaining < need ? lots[i].remaining : need;
            if ((status = store_tx_lot_take(tx, lots[i].id, take)) != STORE_OK ||
                (status = post(tx, from, to, take, member_id, lots[i].id, now, ref, entry)) != STORE_OK)
                return status;
            need -= take;
            *(lots[i].matured ? taken_available : taken_pending) += take;
        }
    }
    return STORE_OK;
}

int points_spend(store_tx *tx, int64_t member_id, int64_t points, int64_t now, const char *to_account,
                 const points_ref *ref)
{
    store_member_points mp;
    int status = store_tx_member_points(tx, member_id, &mp);
    if (status != STORE_OK)
        return status;
    if (points <= 0 || mp.available < points)
        return STORE_INVALID;
    int64_t entry = 0, available = 0, pending = 0;
    status = take_from_lots(tx, member_id, 1, 0, points, now, to_account, ref, &entry, &available, &pending);
    if (status != STORE_OK)
        return status;
    if (available != points)
        return STORE_ERROR; /* the lots disagree with the aggregate: verify will name it */
    return store_tx_member_points_add(tx, member_id, -points, 0, 0);
}

int points_reverse(store_tx *tx, const points_programme *p, int64_t member_id, int64_t transaction_id,
                   int64_t points, int64_t now, const points_ref *ref, int64_t *reversed)
{
    int64_t entry = 0, available = 0, pending = 0;
    *reversed = 0;
    if (points <= 0)
        return STORE_OK;
    /* The purchase's own lots first, then the member's other points, available before pending. */
    int status = take_from_lots(tx, member_id, -1, transaction_id, points, now, "club:issued", ref, &entry,
                                &available, &pending);
    if (status == STORE_OK)
        status = take_from_lots(tx, member_id, 1, 0, points - available - pending, now, "club:issued", ref, &entry,
                                &available, &pending);
    if (status == STORE_OK)
        status = take_from_lots(tx, member_id, 0, 0, points - available - pending, now, "club:issued", ref, &entry,
                                &available, &pending);
    if (status != STORE_OK)
        return status;
    int64_t owed = points - available - pending;
    /* Points of this purchase that already expired left the member then: write them off from club:expired
     * rather than take them a second time. */
    int64_t expired = 0;
    if (owed > 0 && (status = store_tx_purchase_expired_open(tx, transaction_id, &expired)) != STORE_OK)
        return status;
    if (expired > 0) {
        int64_t written_off = expired < owed ? expired : owed;
        if ((status = post(tx, "club:expired", "club:issued", written_off, member_id, 0, now, ref, &entry)) != STORE_OK)
            return status;
        owed -= written_off;
    }
    if (owed > 0 && strcmp(p->return_policy, "negative") == 0) {
        /* Already spent: the member owes them, repaid from the next points they receive. */
        char from[40];
        member_account(member_id, from);
        if ((status = post(tx, from, "club:issued", owed, member_id, 0, now, ref, &entry)) != STORE_OK)
            return status;
        available += owed;
    }
    *reversed = available + pending;
    return store_tx_member_points_add(tx, member_id, -available, -pending, -*reversed);
}

int points_adjust(store_tx *tx, const points_programme *p, int64_t member_id, int64_t delta, int64_t now,
                  const points_ref *ref)
{
    if (delta == INT64_MIN)
        return STORE_INVALID;
    if (delta > 0)
        return credit(tx, p, member_id, delta, now, "club:adjustment", true, false, ref);
    return points_spend(tx, member_id, -delta, now, "club:adjustment", ref);
}

int points_transfer(store_tx *tx, const points_programme *p, int64_t from_member, int64_t to_member, int64_t points,
                    int64_t now, const points_ref *ref)
{
    store_member_points from, to;
    int status = store_tx_member_points(tx, from_member, &from);
    if (status == STORE_OK)
        status = store_tx_member_points(tx, to_member, &to);
    if (status != STORE_OK)
        return status;
    if (points <= 0 || from.available < points)
        return STORE_INVALID;
    /* Each source lot passes to a lot of the receiver with the same expiry, so passing points back and forth
     * never makes them last longer. What the receiver owes is repaid first. */
    char from_account[40], to_account[40];
    member_account(from_member, from_account);
    member_account(to_member, to_account);
    int64_t need = points, owed = to.available < 0 ? -to.available : 0, entry = 0;
    store_lot lots[64];
    while (need > 0) {
        int n = 0;
        if ((status = store_tx_lots_open(tx, from_member, 1, 0, lots, 64, &n)) != STORE_OK)
            return status;
        if (n == 0)
            return STORE_ERROR; /* the lots disagree with the aggregate: verify will name it */
        for (int i = 0; i < n && need > 0; i++) {
            int64_t take = lots[i].remaining < need ? lots[i].remaining : need;
            int64_t repay = owed < take ? owed : take;
            store_lot lot = {.member_id = to_member, .points = take, .remaining = take - repay, .earned_at = now,
                             .available_at = now, .matured = true, .expires_at = lots[i].expires_at};
            if ((status = store_tx_lot_take(tx, lots[i].id, take)) != STORE_OK ||
                (status = store_tx_lot_insert(tx, &lot)) != STORE_OK ||
                (status = post(tx, from_account, to_account, take, from_member, lots[i].id, now, ref, &entry)) != STORE_OK)
                return status;
            need -= take;
            owed -= repay;
        }
    }
    if ((status = store_tx_member_points_add(tx, from_member, -points, 0, 0)) != STORE_OK)
        return status;
    return store_tx_member_points_add(tx, to_member, points, 0, 0);
}

int points_mature(store_tx *tx, int64_t now, int limit, int *done)
{
    store_lot lots[STORE_LOTS_MAX];
    int n = 0;
    *done = 0;
    int status = store_tx_lots_maturing(tx, now, lots, limit < STORE_LOTS_MAX ? limit : STORE_LOTS_MAX, &n);
    for (int i = 0; status == STORE_OK && i < n; i++) {
        store_member_points mp;
        if ((status = store_tx_member_points(tx, lots[i].member_id, &mp)) != STORE_OK)
            break;
        /* What the member owes is repaid from points as they become available. */
        int64_t owed = mp.available < 0 ? -mp.available : 0;
        int64_t repay = owed < lots[i].remaining ? owed : lots[i].remaining;
        if ((status = store_tx_lot_matured(tx, lots[i].id)) == STORE_OK && repay > 0)
            status = store_tx_lot_take(tx, lots[i].id, repay);
        if (status == STORE_OK)
            status = store_tx_member_points_add(tx, lots[i].member_id, lots[i].remaining, -lots[i].remaining, 0);
        (*done)++;
    }
    return status;
}

/* Raises a points_expiring notice for lots expiring within the warning days (once per lot); *n is how many. */
static int warn_expiring(store_tx *tx, const points_programme *p, int64_t now, int limit, int *n)
{
    *n = 0;
    if (p->expiry_warning_days <= 0)
        return STORE_OK;
    store_lot lots[STORE_LOTS_MAX];
    int status = store_tx_lots_to_warn(tx, now, now + (int64_t)p->expiry_warning_days * DAY_MS, lots,
                                       limit < STORE_LOTS_MAX ? limit : STORE_LOTS_MAX, n);
    for (int i = 0; status == STORE_OK && i < *n; i++) {
        char key[48];
        snprintf(key, sizeof(key), "points_expiring:lot:%lld", (long long)lots[i].id);
        status = store_tx_notice(tx, "points_expiring", lots[i].member_id,
                                 json_pack("{s:I, s:I, s:I}", "lot_id", (json_int_t)lots[i].id, "points",
                                           (json_int_t)lots[i].remaining, "expires_at_ms",
                                           (json_int_t)lots[i].expires_at),
                                 key, now);
        if (status == STORE_OK)
            status = store_tx_lot_warned(tx, lots[i].id, now);
    }
    return status;
}

int points_expire(store_tx *tx, const points_programme *p, int64_t now, int limit, int *done)
{
    /* Handles at most min(limit, STORE_LOTS_MAX) lots; *done reaching that means run again. */
    store_lot lots[STORE_LOTS_MAX];
    int n = 0;
    *done = 0;
    points_ref ref = {.kind = "expire", .actor = "system"};
    int status = store_tx_lots_expiring(tx, now, lots, limit < STORE_LOTS_MAX ? limit : STORE_LOTS_MAX, &n);
    for (int i = 0; status == STORE_OK && i < n; i++) {
        char from[40];
        int64_t entry = 0, left = lots[i].remaining;
        member_account(lots[i].member_id, from);
        if ((status = store_tx_lot_take(tx, lots[i].id, left)) == STORE_OK &&
            (status = post(tx, from, "club:expired", left, lots[i].member_id, lots[i].id, now, &ref, &entry)) == STORE_OK)
            status = store_tx_member_points_add(tx, lots[i].member_id, lots[i].matured ? -left : 0,
                                                lots[i].matured ? 0 : -left, 0);
        (*done)++;
    }
    int warned = 0;
    if (status == STORE_OK)
        status = warn_expiring(tx, p, now, limit, &warned);
    if (warned > *done)
        *done = warned; /* either at its limit means there may be more */
    return status;
}
