/*
 * test_points.c: unit tests for src/app/points.c (the ledger operations) against a real SQLite file in a temporary
 * directory, through src/store/ledger.c, and for store_verify (src/store/verify.c) and jobs_run_all
 * (src/jobs/jobs.c). Every operation runs in its own store_run transaction, and store_verify must find nothing
 * wrong after each one; the tests read the tables through a second, plain sqlite3 connection to the same file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/points.h"
#include "core/calendar.h"
#include "core/timefmt.h"
#include "jobs/jobs.h"
#include "store/store.h"

#define NOW_MS INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define DAY_MS INT64_C(86400000)

typedef struct fixture {
    char dir[64];
    store *s;
    store_reader *r;
    sqlite3 *db; /* a plain connection to the same file, for looking and for breaking things on purpose */
    int txn_seq;  /* makes each test transaction's txn_id unique */
} fixture;

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof f->dir, "/tmp/bashgah-points-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    char err[256];
    if (store_open(&f->s, f->dir, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "store_open: %s\n", err);
        return -1;
    }
    f->r = store_reader_open(f->s);
    char path[128];
    snprintf(path, sizeof path, "%s/bashgah.db", f->dir);
    if (!f->r || sqlite3_open(path, &f->db) != SQLITE_OK)
        return -1;
    sqlite3_busy_timeout(f->db, 5000);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sqlite3_close(f->db);
    store_reader_close(f->r);
    store_close(f->s);
    remove_dir(f->dir);
    free(f);
    return 0;
}

/* ---- looking at the database ---- */

/* One integer from sql, with up to three integer parameters ?1..?3 (unused ones ignored); NULL reads as -999. */
static int64_t q(fixture *f, const char *sql, int64_t a, int64_t b, int64_t c)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(f->db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(f->db));
    int n = sqlite3_bind_parameter_count(st);
    int64_t args[3] = {a, b, c};
    for (int i = 0; i < n && i < 3; i++)
        sqlite3_bind_int64(st, i + 1, args[i]);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
        fail_msg("no row from %s (rc %d)", sql, rc);
    int64_t v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -999 : sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int64_t club_balance(fixture *f, const char *account)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(f->db, "SELECT balance FROM club_accounts WHERE account = ?", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return v;
}

static json_t *verify_problems(fixture *f)
{
    json_t *problems = json_array();
    assert_int_equal(store_verify(f->r, problems), STORE_OK);
    return problems;
}

/* Every invariant of `bashgah verify` holds, and the ledger sums to zero seen from here too. */
static void assert_verified(fixture *f)
{
    json_t *problems = verify_problems(f);
    if (json_array_size(problems) != 0) {
        char *text = json_dumps(problems, JSON_COMPACT);
        fail_msg("verify: %s", text);
    }
    json_decref(problems);
    assert_int_equal(q(f,
                       "SELECT (SELECT coalesce(sum(balance), 0) FROM club_accounts) + "
                       "(SELECT coalesce(sum(points_available + points_pending), 0) FROM member_stats)",
                       0, 0, 0),
                     0);
}

static store_member_points points_of(fixture *f, int64_t member_id)
{
    store_member_points mp;
    memset(&mp, 0, sizeof mp);
    assert_int_equal(store_member_points_read(f->r, member_id, &mp), STORE_OK);
    return mp;
}

static void assert_points(fixture *f, int64_t member_id, int64_t available, int64_t pending, int64_t lifetime)
{
    store_member_points mp = points_of(f, member_id);
    if (mp.available != available || mp.pending != pending || mp.lifetime != lifetime)
        fail_msg("member %lld: available/pending/lifetime %lld/%lld/%lld, want %lld/%lld/%lld", (long long)member_id,
                 (long long)mp.available, (long long)mp.pending, (long long)mp.lifetime, (long long)available,
                 (long long)pending, (long long)lifetime);
}

static int64_t lot_remaining(fixture *f, int64_t lot_id)
{
    return q(f, "SELECT remaining FROM lots WHERE id = ?1", lot_id, 0, 0);
}

/* The id of the only lot a purchase earned. */
static int64_t lot_of_txn(fixture *f, int64_t txn_id)
{
    assert_int_equal(q(f, "SELECT count(*) FROM lots WHERE transaction_id = ?1", txn_id, 0, 0), 1);
    return q(f, "SELECT id FROM lots WHERE transaction_id = ?1", txn_id, 0, 0);
}

/* The newest lot of a member. */
static int64_t last_lot(fixture *f, int64_t member_id)
{
    return q(f, "SELECT max(id) FROM lots WHERE member_id = ?1", member_id, 0, 0);
}

/* ---- writing: each operation is one store_run ---- */

static int insert_member(store_tx *tx, void *arg)
{
    member *m = arg;
    const char *field = NULL;
    return store_tx_member_insert(tx, m, &field);
}

static int64_t add_member(fixture *f)
{
    member_rules rules = {.phone_region = "IR", .default_time_zone = "Asia/Tehran", .default_locale = "fa",
                          .now_ms = NOW_MS};
    member m;
    member_init(&m, &rules);
    snprintf(m.given_name, sizeof m.given_name, "member");
    assert_int_equal(store_run(f->s, insert_member, &m), STORE_OK);
    int64_t id = m.id;
    member_release(&m);
    assert_true(id > 0);
    return id;
}

/* Programme settings to change; NULL and 0 leave a setting as it is, NO_DAYS sets a number of days to 0. */
typedef struct settings {
    const char *expiry_policy, *return_policy, *calendar, *time_zone;
    int expiry_days, expiry_warning_days, pending_days;
} settings;

#define SETTINGS(...) ((settings){__VA_ARGS__})
#define NO_DAYS (-1)

static void set_days(int *dst, int v)
{
    if (v != 0)
        *dst = v == NO_DAYS ? 0 : v;
}

static int change_programme(store_tx *tx, void *arg)
{
    const settings *c = arg;
    store_programme p;
    int status = store_tx_programme_get(tx, &p);
    if (status != STORE_OK)
        return status;
    if (c->expiry_policy)
        snprintf(p.expiry_policy, sizeof p.expiry_policy, "%s", c->expiry_policy);
    if (c->return_policy)
        snprintf(p.return_policy, sizeof p.return_policy, "%s", c->return_policy);
    if (c->calendar)
        snprintf(p.calendar, sizeof p.calendar, "%s", c->calendar);
    if (c->time_zone)
        snprintf(p.time_zone, sizeof p.time_zone, "%s", c->time_zone);
    set_days(&p.expiry_days, c->expiry_days);
    set_days(&p.expiry_warning_days, c->expiry_warning_days);
    set_days(&p.pending_days, c->pending_days);
    return store_tx_programme_update(tx, &p);
}

static void set_programme(fixture *f, settings c) { assert_int_equal(store_run(f->s, change_programme, &c), STORE_OK); }

typedef enum {
    OP_EARN,     /* points_earn without a purchase (an earning event) */
    OP_PURCHASE, /* a purchase row, its aggregates and points_earn for it: out = the transaction's id */
    OP_SPEND,    /* points_spend to club:redeemed */
    OP_REVERSE,  /* a return row for txn and points_reverse: out = reversed */
    OP_ADJUST,
    OP_TRANSFER, /* member -> other */
    OP_REFUND,   /* points_refund from club:redeemed */
    OP_MATURE,
    OP_EXPIRE,
    OP_EARN_MANY,     /* points times a lot of 1 point, each a points_earn */
    OP_EARN_OVERSPEND /* points_earn, then a points_spend of more than available whose refusal is ignored */
} op_kind;

typedef struct op {
    op_kind kind;
    int64_t member, other, points, now, txn;
    fixture *f;
    int64_t out;
    int done;
    int spend_status; /* OP_EARN_OVERSPEND: what points_spend answered */
} op;

static int insert_txn(store_tx *tx, op *o, const char *type, int64_t amount, int64_t points, int64_t original,
                      int64_t *id)
{
    store_txn t = {.member_id = o->member, .amount_minor = amount, .occurred_at = o->now, .recorded_at = o->now,
                   .original_id = original, .points = points, .status = 201};
    snprintf(t.store, sizeof t.store, "s1");
    snprintf(t.txn_id, sizeof t.txn_id, "t%d", ++o->f->txn_seq);
    snprintf(t.type, sizeof t.type, "%s", type);
    int status = store_tx_txn_insert(tx, &t);
    *id = t.id;
    return status;
}

static int run_purchase(store_tx *tx, const points_programme *p, op *o)
{
    int64_t id = 0, amount = o->points * 1000;
    int status = insert_txn(tx, o, "purchase", amount, o->points, 0, &id);
    if (status == STORE_OK)
        status = store_tx_member_purchase_add(tx, o->member, 1, amount, o->now);
    points_ref ref = {.kind = "earn", .actor = "test", .transaction_id = id};
    if (status == STORE_OK)
        status = points_earn(tx, p, o->member, o->points, o->now, &ref);
    o->out = id;
    return status;
}

static int run_reverse(store_tx *tx, const points_programme *p, op *o)
{
    /* A return of no money (so the purchase aggregates stay as they are) that reverses o->points. */
    int64_t id = 0;
    int status = insert_txn(tx, o, "return", 0, o->points, o->txn, &id);
    points_ref ref = {.kind = "return", .actor = "test", .transaction_id = id};
    if (status == STORE_OK)
        status = points_reverse(tx, p, o->member, o->txn, o->points, o->now, &ref, &o->out);
    if (status == STORE_OK)
        status = store_tx_txn_returned(tx, o->txn, o->points, 0);
    return status;
}

static int run_op(store_tx *tx, void *arg)
{
    op *o = arg;
    points_programme p;
    int status = points_programme_get(tx, &p);
    if (status != STORE_OK)
        return status;
    points_ref earn = {.kind = "earn", .actor = "test"}, redeem = {.kind = "redeem", .actor = "test"},
               adjust = {.kind = "adjust", .actor = "test"}, transfer = {.kind = "transfer", .actor = "test"},
               cancel = {.kind = "redeem_cancel", .actor = "test"};
    switch (o->kind) {
    case OP_EARN:
        return points_earn(tx, &p, o->member, o->points, o->now, &earn);
    case OP_PURCHASE:
        return run_purchase(tx, &p, o);
    case OP_SPEND:
        return points_spend(tx, o->member, o->points, o->now, "club:redeemed", &redeem);
    case OP_REVERSE:
        return run_reverse(tx, &p, o);
    case OP_ADJUST:
        return points_adjust(tx, &p, o->member, o->points, o->now, &adjust);
    case OP_TRANSFER:
        return points_transfer(tx, &p, o->member, o->other, o->points, o->now, &transfer);
    case OP_REFUND:
        return points_refund(tx, &p, o->member, o->points, o->now, "club:redeemed", &cancel);
    case OP_MATURE:
        return points_mature(tx, o->now, STORE_LOTS_MAX, &o->done);
    case OP_EXPIRE:
        return points_expire(tx, &p, o->now, STORE_LOTS_MAX, &o->done);
    case OP_EARN_MANY:
        for (int64_t i = 0; i < o->points && status == STORE_OK; i++)
            status = points_earn(tx, &p, o->member, 1, o->now, &earn);
        return status;
    case OP_EARN_OVERSPEND:
        if ((status = points_earn(tx, &p, o->member, o->points, o->now, &earn)) != STORE_OK)
            return status;
        o->spend_status = points_spend(tx, o->member, o->other, o->now, "club:redeemed", &redeem);
        return STORE_OK;
    }
    return STORE_ERROR;
}

/* Runs one operation in its own transaction; when it succeeds, every invariant must still hold. */
static int run(fixture *f, op *o)
{
    o->f = f;
    int status = store_run(f->s, run_op, o);
    if (status == STORE_OK)
        assert_verified(f);
    return status;
}

static int64_t purchase(fixture *f, int64_t member, int64_t points, int64_t now)
{
    op o = {.kind = OP_PURCHASE, .member = member, .points = points, .now = now};
    assert_int_equal(run(f, &o), STORE_OK);
    return o.out;
}

static void earn(fixture *f, int64_t member, int64_t points, int64_t now)
{
    op o = {.kind = OP_EARN, .member = member, .points = points, .now = now};
    assert_int_equal(run(f, &o), STORE_OK);
}

static int spend(fixture *f, int64_t member, int64_t points, int64_t now)
{
    op o = {.kind = OP_SPEND, .member = member, .points = points, .now = now};
    return run(f, &o);
}

static int64_t reverse(fixture *f, int64_t member, int64_t txn, int64_t points, int64_t now)
{
    op o = {.kind = OP_REVERSE, .member = member, .txn = txn, .points = points, .now = now};
    assert_int_equal(run(f, &o), STORE_OK);
    return o.out;
}

static int adjust(fixture *f, int64_t member, int64_t delta, int64_t now)
{
    op o = {.kind = OP_ADJUST, .member = member, .points = delta, .now = now};
    return run(f, &o);
}

static int transfer(fixture *f, int64_t from, int64_t to, int64_t points, int64_t now)
{
    op o = {.kind = OP_TRANSFER, .member = from, .other = to, .points = points, .now = now};
    return run(f, &o);
}

static int mature(fixture *f, int64_t now)
{
    op o = {.kind = OP_MATURE, .now = now};
    assert_int_equal(run(f, &o), STORE_OK);
    return o.done;
}

static int expire(fixture *f, int64_t now)
{
    op o = {.kind = OP_EXPIRE, .now = now};
    assert_int_equal(run(f, &o), STORE_OK);
    return o.done;
}

/* ---- earning ---- */

static void test_earn_posts_once_from_issued_into_one_lot(void **state)
{
    fixture *f = *state;
    int64_t m = add_member(f);
    int64_t txn = purchase(f, m, 120, NOW_MS);

    assert_int_equal(q(f, "SELECT count(*) FROM postings WHERE member_id = ?1", m, 0, 0), 1);
    assert_int_equal(q(f, "SELECT count(*) FROM postings WHERE from_account = 'club:issued' AND to_account = "
                          "'member:' || ?1 AND points = 120 AND kind = 'earn' AND transaction_id = ?2 AND "
                          "entry_id = id",
                       m, txn, 0),
                     1);
    int64_t lot = lot_of_txn(f, txn);
    assert_int_equal(q(f, "SELECT lot_id FROM postings WHERE member_id = ?1", m, 0, 0), lot);
    assert_int_equal(q(f, "SELECT count(*) FROM lots WHERE member_id = ?1", m, 0, 0), 1);
    assert_int_equal(q(f, "SELECT points * 1000 + remaining FROM lots WHERE id = ?1", lot, 0, 0), 120 * 1000 + 120);
    assert_int_equal(q(f, "SELECT matured FROM lots WHERE id = ?1", lot, 0, 0), 1);
    assert_int_equal(q(f, "SELECT earned_at = ?2 AND available_at = ?2 FROM lots WHERE id = ?1", lot, NOW_MS, 0), 1);
    assert_int_equal(q(f, "SELECT expires_at FROM lots WHERE id = ?1", lot, 0, 0), -999); /* 'never' by default */
    assert_points(f, m, 120, 0, 120);
    assert_int_equal(club_balance(f, "club:issued"), -120);

    /* Nothing to earn writes nothing. */
    earn(f, m, 0, NOW_MS);
    assert_int_equal(q(f, "SELECT count(*) FROM postings", 0, 0, 0), 1);
    assert_int_equal(q(f, "SELECT count(*) FROM lots", 0, 0, 0), 1);
}

static void test_earn_with_pending_days_waits_until_mature(void **state)
{
    fixture *f = *state;
    int64_t m = add_member(f);
    set_programme(f, SETTINGS(.pending_days = 3));
    int64_t txn = purchase(f, m, 50, NOW_MS);
    int64_t lot = lot_of_txn(f, txn);

    assert_points(f, m, 0, 50, 50);
    assert_int_equal(q(f, "SELECT matured FROM lots WHERE id = ?1", lot, 0, 0), 0);
    assert_int_equal(q(f, "SELECT available_at FROM lots WHERE id = ?1", lot, 0, 0), NOW_MS + 3 * DAY_MS);
    assert_int_equal(q(f, "SELECT count(*) FROM postings WHERE to_account = 'member:' || ?1 AND points = 50", m, 0, 0),
                     1);
    assert_int_equal(spend(f, m, 1, NOW_MS + DAY_MS), STORE_INVALID); /* pending points cannot be spent */

    assert_int_equal(mature(f, NOW_MS + 3 * DAY_MS - 1), 0);
    assert_points(f, m, 0, 50, 50);
    assert_int_equal(mature(f, NOW_MS + 3 * DAY_MS), 1);
    assert_points(f, m, 50, 0, 50);
    assert_int_equal(q(f, "SELECT matured * 1000 + remaining FROM lots WHERE id = ?1", lot, 0, 0), 1050);
    assert_int_equal(mature(f, NOW_MS + 4 * DAY_MS), 0); /* once only */
    assert_int_equal(spend(f, m, 50, NOW_MS + 4 * DAY_MS), STORE_OK);
    assert_points(f, m, 0, 0, 50);
}

/* ---- spending ---- */

static void test_spend_takes_the_lots_that_expire_first(void **state)
{
    fixture *f = *state;
    int64_t m = add_member(f);
    set_programme(f, SETTINGS(.expiry_policy = "days", .expiry_days = 365));
    int64_t a = lot_of_txn(f, purchase(f, m, 100, NOW_MS)); /* the oldest, but it expires last */
    set_programme(f, SETTINGS(.expiry_days = 30));
    int64_t b = lot_of_txn(f, purchase(f, m, 40, NOW_MS + DAY_MS));
    int64_t c = lot_of_txn(f, purchase(f, m, 30, NOW_MS + 2 * DAY_MS));
    set_programme(f, SETTINGS(.expiry_policy = "never"));
    int64_t d = lot_of_txn(f, purchase(f, m, 10, NOW_MS + 3 * DAY_MS)); /* never expires: taken last */
    assert_int_equal(q(f, "SELECT expires_at FROM lots WHERE id = ?1", a, 0, 0), NOW_MS + 365 * DAY_MS);
    assert_int_equal(q(f, "SELECT expires_at FROM lots WHERE id = ?1", b, 0, 0), NOW_MS + 31 * DAY_MS);
    assert_int_equal(q(f, "SELECT expires_at FROM lots WHERE id = ?1", c, 0, 0), NOW_MS + 32 * DAY_MS);

    assert_int_equal(spend(f, m, 60, NOW_MS + 4 * DAY_MS), STORE_OK);
    assert_int_equal(lot_remaining(f, b), 0);
    assert_int_equal(lot_remaining(f, c), 10);
    assert_int_equal(lot_remaining(f, a), 100);
    assert_int_equal(lot_remaining(f, d), 10);
    /* One entry of two postings to club:redeemed, one per lot taken. */
    assert_int_equal(q(f, "SELECT count(*) FROM postings WHERE to_account = 'club:redeemed'", 0, 0, 0), 2);
    assert_int_equal(q(f, "SELECT count(DISTINCT entry_id) FROM postings WHERE to_account = 'club:redeemed'", 0, 0, 0), 1);
    assert_int_equal(q(f, "SELECT points FROM postings WHERE to_account = 'club:redeemed' AND lot_id = ?1", b, 0, 0), 40);
    assert_int_equal(q(f, "SELECT points FROM postings WHERE to_account = 'club:redeemed' AND lot_id = ?1", c, 0, 0), 20);
    assert_points(f, m, 120, 0, 180);
    assert_int_equal(club_balance(f, "club:redeemed"), 60);

    assert_int_equal(spend(f, m, 105, NOW_MS + 5 * DAY_MS), STORE_OK);
    assert_int_equal(lot_remaining(f, c), 0);
    assert_int_equal(lot_remaining(f, a), 5);
    assert_int_equal(lot_remaining(f, d), 10);
    assert_int_equal(spend(f, m, 15, NOW_MS + 5 * DAY_MS), STORE_OK);
    assert_int_equal(q(f, "SELECT sum(remaining) FROM lots WHERE member_id = ?1", m, 0, 0), 0);
    assert_points(f, m, 0, 0, 180);
}

static void test_spend_of_more_than_available_is_refused_and_writes_nothing(void **state)
{
    fixture *f = *state;
    int64_t m = add_member(f);
    purchase(f, m, 100, NOW_MS);
    set_programme(f, SETTINGS(.pending_days = 5));
    purchase(f, m, 50, NOW_MS); /* pending: not spendable */
    assert_points(f, m, 100, 50, 150);

    int64_t postings = q(f, "SELECT count(*) FROM postings", 0, 0, 0);
    assert_int_equal(spend(f, m, 101, NOW_MS), STORE_INVALID);
    assert_int_equal(spend(f, m, 0, NOW_MS), STORE_INVALID);
    assert_int_equal(spend(f, m, -5, NOW_MS), STORE_INVALID);
    assert_int_equal(spend(f, 999999, 1, NOW_MS), STORE_NOTFOUND);
    assert_int_equal(q(f, "SELECT count(*) FROM postings", 0, 0, 0), postings);

    /* Refused inside a transaction that goes on and commits: points_spend itself wrote nothing. */
    op o = {.kind = OP_EARN_OVERSPEND, .member = m, .points = 10, .other = 101, .now = NOW_MS};
    assert_int_equal(run(f, &o), STORE_OK);
    assert_int_equal(o.spend_status, STORE_INVALID);
    assert_int_equal(q(f, "SELECT count(*) FROM postings", 0, 0, 0), postings + 1);
    assert_int_equal(q(f, "SELECT count(*) FROM postings WHERE to_account = 'club:redeemed'", 0, 0, 0), 0);
    assert_int_equal(q(f, "SELECT sum(remaining) FROM lots WHERE member_id = ?1 AND matured = 1", m, 0, 0), 100);
    assert_points(f, m, 100, 60, 160);
    assert_int_equal(club_balance(f, "club:redeemed"), 0);

    assert_int_equal(spend(f, m, 100, NOW_MS), STORE_OK);
    assert_points(f, m, 0, 60, 160);
}

/* ---- returns ---- */

static void test_reverse_takes_the_purchase_own_lots_first(void **state)
{
    fixture *f = *state;
    int64_t m = add_member(f);
    set_programme(f, SETTINGS(.expiry_policy = "days", .expiry_days = 365));
    int64_t p1 = purchase(f, m, 100, NOW_MS);
    set_programme(f, SETTINGS(.expiry_days = 30));
    int64_t p2 = purchase(f, m, 50, NOW_MS + DAY_MS); /* expires first: spending would take it first */
    int64_t l1 = lot_of_txn(f, p1), l2 = lot_of_txn(f, p2);

    assert_int_equal(reverse(f, m, p1, 40, NOW_MS + 2 * DAY_MS), 40);
    assert_int_equal(lot_remaining(f, l1), 60);
    assert_int_equal(lot_remaining(f, l2), 50);
    assert_points(f, m, 110, 0, 110);
    assert_int_equal(q(f, "SELECT count(*) FROM postings WHERE kind = 'return' AND from_account = 'member:' || ?1 "
                          "AND to_account = 'club:issued' AND lot_id = ?2 AND points = 40",
                       m, l1, 0),
                     1);
    assert_int_equal(club_balance(f, "club:issued"), -110);

    /* Its pending lot too, before the member's other points. */
    set_programme(f, SETTINGS(.pending_days = 3));
    int64_t p3 = purchase(f, m, 70, NOW_MS + 2 * DAY_MS);
    assert_int_equal(reverse(f, m, p3, 70, NOW_MS + 2 * DAY_MS), 70);
    assert_int_equal(lot_remaining(f, lot_of_txn(f, p3)), 0);
    assert_int_equal(lot_remaining(f, l1), 60);
    assert_int_equal(lot_remaining(f, l2), 50);
    assert_points(f, m, 110, 0, 110);
}

static void test_reverse_takes_others_then_leaves_a_debt_that_the_next_earn_repays(void **state)
{
    fixture *f = *state;
    int64_t m = add_member(f);
    set_programme(f, SETTINGS(.return_policy = "negative"));
    int64_t p1 = purchase(f, m, 100, NOW_MS);
    int64_t p2 = purchase(f, m, 50, NOW_MS + 1);
    int64_t l1 = lot_of_txn(f, p1), l2 = lot_of_txn(f, p2);
    assert_int_equal(spend(f, m, 120, NOW_MS + 2), STORE_OK);
    assert_int_equal(lot_remaining(f, l1), 0);
    assert_int_equal(lot_remaining(f, l2), 30);

    assert_int_equal(reverse(f, m, p1, 100, NOW_MS + 3), 100);
    assert_int_equal(lot_remaining(f, l2), 0); /* the other purchase's points went first */
    assert_points(f, m, -70, 0, 50);
    /* One entry: 30 from the other lot, 70 owed (no lot). */
    assert_int_equal(q(f, "SELECT count(*) FROM postings WHERE kind = 'return'", 0, 0, 0), 2);
    assert_int_equal(q(f, "SELECT count(DISTINCT entry_id) FROM postings WHERE kind = 'return'", 0, 0, 0), 1);
    assert_int_equal(q(f, "SELECT points FROM postings WHERE kind = 'return' AND lot_id = ?1", l2, 0, 0), 30);
    assert_int_equal(q(f, "SELECT points FROM postings WHERE kind = 'return' AND lot_id IS NULL", 0, 0, 0), 70);
    assert_int_equal(club_balance(f, "club:issued"), -50);
    assert_int_equal(spend(f, m, 1, NOW_MS + 4), STORE_INVALID);

    /* The next points repay the debt: their lot keeps only what is left over. */
    int64_t p3 = purchase(f, m, 50, NOW_MS + 5);
    assert_int_equal(q(f, "SELECT points * 1000 + remaining FROM lots WHERE id = ?1", lot_of_txn(f, p3), 0, 0), 50000);
    assert_points(f, m, -20, 0, 100);
    int64_t p4 = purchase(f, m, 30, NOW_MS + 6);
    assert_int_equal(q(f, "SELECT points * 1000 + remaining FROM lots WHERE id = ?1", lot_of_txn(f, p4), 0, 0), 30010);
    assert_points(f, m, 10, 0, 130);
    assert_int_equal(spend(f, m, 10, NOW_MS + 7), STORE_OK);
    assert_points(f, m, 0, 0, 130);
}

static void test_reverse_with_remaining_policy_takes_only_what_is_left(void **state)
{
    fixture *f = *state;
    int64_t m = add_member(f);
    set_programme(f, SETTINGS(.return_policy = "remaining"));
    int64_t p1 = purchase(f, m, 100, NOW_MS);
    assert_int_equal(spend(f, m, 80, NOW_MS + 1), STORE_OK);

    assert_int_equal(reverse(f, m, p1, 100, NOW_MS + 2), 20);
    assert_points(f, m, 0, 0, 80);
    assert_int_equal(q(f, "SELECT coalesce(sum(points), 0) FROM postings WHERE kind = 'return'", 0, 0, 0), 20);
    assert_int_equal(q(f, "SELECT count(*) FROM postings WHERE kind = 'return' AND lot_id IS NULL", 0, 0, 0), 0);

    /* Nothing left at all: nothing reversed, nothing posted, no debt. */
    int64_t p2 = purchase(f, m, 10, NOW_MS + 3);
    assert_int_equal(spend(f, m, 10, NOW_MS + 4), STORE_OK);
    assert_int_equal(reverse(f, m, p2, 10, NOW_MS + 5), 0);
    assert_points(f, m, 0, 0, 90);
    assert_int_equal(q(f, "SELECT coalesce(sum(points), 0) FROM postings WHERE kind = 'return'", 0, 0, 0), 20);
}

/* ---- adjustments and transfers ---- */

static void test_adjust_gives_and_takes_through_the_adjustment_account(void **state)
{
    fixture *f = *state;
    int64_t m = add_member(f);
    set_programme(f, SETTINGS(.pending_days = 7)); /* an adjustment is available at once all the same */

    assert_int_equal(adjust(f, m, 25, NOW_MS), STORE_OK);
    assert_points(f, m, 25, 0, 0); /* not earned: lifetime unchanged */
    int64_t lot = last_lot(f, m);
    assert_int_equal(q(f, "SELECT matured * 1000 + remaining FROM lots WHERE id = ?1", lot, 0, 0), 1025);
    assert_int_equal(q(f, "SELECT count(*) FROM postings WHERE from_account = 'club:adjustment' AND "
                          "to_account = 'member:' || ?1 AND points = 25 AND kind = 'adjust' AND lot_id = ?2",
                       m, lot, 0),
                     1);
    assert_int_equal(club_balance(f, "club:adjustment"), -25);

    assert_int_equal(adjust(f, m, -10, NOW_MS + 1), STORE_OK);
    assert_points(f, m, 15, 0, 0);
    assert_int_equal(lot_remaining(f, lot), 15);
    assert_int_equal(club_balance(f, "club:adjustment"), -15);

    assert_int_equal(adjust(f, m, -16, NOW_MS + 2), STORE_INVALID); /* never below zero */
    assert_int_equal(adjust(f, m, 0, NOW_MS + 2), STORE_INVALID);
    assert_points(f, m, 15, 0, 0);
    assert_int_equal(adjust(f, m, -15, NOW_MS + 3), STORE_OK);
    assert_points(f, m, 0, 0, 0);
    assert_int_equal(club_balance(f, "club:adjustment"), 0);
}

static void test_transfer_moves_points_and_gives_the_receiver_a_lot(void **state)
{
    fixture *f = *state;
    int64_t a = add_member(f), b = add_member(f);
    set_programme(f, SETTINGS(.expiry_policy = "days", .expiry_days = 90));
    int64_t la = lot_of_txn(f, purchase(f, a, 100, NOW_MS));

    assert_int_equal(transfer(f, a, b, 30, NOW_MS + DAY_MS), STORE_OK);
    assert_points(f, a, 70, 0, 100);
    assert_points(f, b, 30, 0, 0);
    assert_int_equal(lot_remaining(f, la), 70);
    int64_t lb = last_lot(f, b);
    assert_int_equal(q(f, "SELECT points * 1000 + remaining FROM lots WHERE id = ?1", lb, 0, 0), 30030);
    assert_int_equal(q(f, "SELECT matured FROM lots WHERE id = ?1", lb, 0, 0), 1);
    assert_int_equal(q(f, "SELECT count(*) FROM postings WHERE kind = 'transfer' AND from_account = 'member:' || ?1 "
                          "AND to_account = 'member:' || ?2 AND points = 30 AND lot_id = ?3",
                       a, b, la),
                     1);
    /* The club's accounts do not move. */
    assert_int_equal(club_balance(f, "club:issued"), -100);
    assert_int_equal(spend(f, b, 30, NOW_MS + DAY_MS), STORE_OK);

    assert_int_equal(transfer(f, a, b, 71, NOW_MS + DAY_MS), STORE_INVALID);
    assert_int_equal(transfer(f, a, 999999, 10, NOW_MS + DAY_MS), STORE_NOTFOUND); /* rolled back whole */
    assert_points(f, a, 70, 0, 100);

    /* A receiver who owes repays from what arrives. */
    int64_t pb = purchase(f, b, 40, NOW_MS + DAY_MS);
    assert_int_equal(spend(f, b, 40, NOW_MS + DAY_MS), STORE_OK);
    assert_int_equal(reverse(f, b, pb, 40, NOW_MS + DAY_MS), 40);
    assert_points(f, b, -40, 0, 0);
    assert_int_equal(transfer(f, a, b, 50, NOW_MS + 2 * DAY_MS), STORE_OK);
    assert_points(f, b, 10, 0, 0);
    assert_int_equal(lot_remaining(f, last_lot(f, b)), 10);
    assert_points(f, a, 20, 0, 100);
}

/* ---- time: maturing and expiring ---- */

static void test_mature_repays_what_the_member_owes(void **state)
{
    fixture *f = *state;
    int64_t m = add_member(f);
    int64_t p1 = purchase(f, m, 100, NOW_MS);
    assert_int_equal(spend(f, m, 100, NOW_MS), STORE_OK);
    assert_int_equal(reverse(f, m, p1, 100, NOW_MS), 100);
    assert_points(f, m, -100, 0, 0);

    set_programme(f, SETTINGS(.pending_days = 3));
    int64_t l2 = lot_of_txn(f, purchase(f, m, 60, NOW_MS + DAY_MS));
    assert_points(f, m, -100, 60, 60);
    assert_int_equal(lot_remaining(f, l2), 60); /* pending points are not taken for the debt yet */
    assert_int_equal(mature(f, NOW_MS + 4 * DAY_MS), 1);
    assert_int_equal(lot_remaining(f, l2), 0);
    assert_points(f, m, -40, 0, 60);

    int64_t l3 = lot_of_txn(f, purchase(f, m, 50, NOW_MS + 5 * DAY_MS));
    assert_int_equal(mature(f, NOW_MS + 8 * DAY_MS - 1), 0);
    assert_int_equal(mature(f, NOW_MS + 8 * DAY_MS), 1);
    assert_int_equal(lot_remaining(f, l3), 10);
    assert_points(f, m, 10, 0, 110);
}

static int64_t notices(fixture *f, int64_t member_id)
{
    return q(f, "SELECT count(*) FROM notices WHERE kind = 'points_expiring' AND member_id = ?1", member_id, 0, 0);
}

static void test_expire_posts_to_expired_and_warns_once_per_lot(void **state)
{
    fixture *f = *state;
    int64_t m = add_member(f);
    set_programme(f, SETTINGS(.expiry_policy = "days", .expiry_days = 30, .expiry_warning_days = 7));
    int64_t l1 = lot_of_txn(f, purchase(f, m, 100, NOW_MS));          /* expires at +30d */
    int64_t l2 = lot_of_txn(f, purchase(f, m, 50, NOW_MS + 10 * DAY_MS)); /* +40d */
    int64_t l3 = lot_of_txn(f, purchase(f, m, 20, NOW_MS + 25 * DAY_MS)); /* +55d */
    assert_int_equal(spend(f, m, 30, NOW_MS + 25 * DAY_MS), STORE_OK);      /* from l1: 70 left */

    assert_int_equal(expire(f, NOW_MS + 22 * DAY_MS), 0); /* +30d is more than 7 days away */
    assert_int_equal(notices(f, m), 0);
    assert_int_equal(expire(f, NOW_MS + 23 * DAY_MS), 1); /* exactly 7 days before */
    assert_int_equal(notices(f, m), 1);
    assert_int_equal(q(f, "SELECT count(*) FROM notices WHERE member_id = ?1 AND dedupe_key = "
                          "'points_expiring:lot:' || ?2 AND json_extract(data, '$.lot_id') = ?2 AND "
                          "json_extract(data, '$.points') = 70 AND json_extract(data, '$.expires_at_ms') = ?3",
                       m, l1, NOW_MS + 30 * DAY_MS),
                     1);
    assert_int_equal(q(f, "SELECT warned_at FROM lots WHERE id = ?1", l1, 0, 0), NOW_MS + 23 * DAY_MS);
    assert_int_equal(expire(f, NOW_MS + 26 * DAY_MS), 0); /* warned once */
    assert_int_equal(notices(f, m), 1);
    assert_points(f, m, 140, 0, 170);

    assert_int_equal(expire(f, NOW_MS + 30 * DAY_MS - 1), 0);
    assert_int_equal(lot_remaining(f, l1), 70);
    assert_int_equal(expire(f, NOW_MS + 30 * DAY_MS), 1);
    assert_int_equal(lot_remaining(f, l1), 0);
    assert_int_equal(q(f, "SELECT count(*) FROM postings WHERE kind = 'expire' AND from_account = 'member:' || ?1 AND "
                          "to_account = 'club:expired' AND lot_id = ?2 AND points = 70",
                       m, l1, 0),
                     1);
    assert_int_equal(club_balance(f, "club:expired"), 70);
    assert_points(f, m, 70, 0, 170); /* lifetime keeps what was earned */
    assert_int_equal(expire(f, NOW_MS + 31 * DAY_MS), 0); /* an expired lot is not expired twice */
    assert_int_equal(club_balance(f, "club:expired"), 70);

    assert_int_equal(expire(f, NOW_MS + 33 * DAY_MS), 1); /* l2 at +40d comes within 7 days */
    assert_int_equal(notices(f, m), 2);
    assert_int_equal(q(f, "SELECT count(DISTINCT json_extract(data, '$.lot_id')) FROM notices WHERE member_id = ?1",
                       m, 0, 0),
                     2);
    assert_int_equal(expire(f, NOW_MS + 56 * DAY_MS), 2); /* l2 and l3 expire; l3 was never warned */
    assert_int_equal(lot_remaining(f, l2) + lot_remaining(f, l3), 0);
    assert_int_equal(notices(f, m), 2);
    assert_points(f, m, 0, 0, 170);
    assert_int_equal(club_balance(f, "club:expired"), 140);

    /* A spent lot is neither warned about nor expired. */
    int64_t l4 = lot_of_txn(f, purchase(f, m, 5, NOW_MS + 60 * DAY_MS));
    assert_int_equal(spend(f, m, 5, NOW_MS + 60 * DAY_MS), STORE_OK);
    assert_int_equal(expire(f, NOW_MS + 85 * DAY_MS), 0);
    assert_int_equal(expire(f, NOW_MS + 95 * DAY_MS), 0);
    assert_int_equal(q(f, "SELECT count(*) FROM postings WHERE kind = 'expire' AND lot_id = ?1", l4, 0, 0), 0);
    assert_int_equal(notices(f, m), 2);
}

static void test_expire_of_pending_points_takes_them_from_pending(void **state)
{
    fixture *f = *state;
    int64_t m = add_member(f);
    set_programme(f, SETTINGS(.expiry_policy = "days", .expiry_days = 2, .pending_days = 5));
    int64_t l = lot_of_txn(f, purchase(f, m, 40, NOW_MS));
    assert_int_equal(expire(f, NOW_MS + 2 * DAY_MS), 1);
    assert_points(f, m, 0, 0, 40);
    assert_int_equal(lot_remaining(f, l), 0);
    assert_int_equal(mature(f, NOW_MS + 5 * DAY_MS), 1);
    assert_points(f, m, 0, 0, 40);
}

static int64_t at(const char *rfc3339)
{
    int64_t ms = 0;
    assert_int_equal(timefmt_parse(rfc3339, &ms), 0);
    return ms;
}

static void test_end_of_month_expiry_is_the_next_jalali_month_in_tehran(void **state)
{
    fixture *f = *state;
    int64_t m = add_member(f);
    set_programme(f, SETTINGS(.expiry_policy = "end_of_month", .calendar = "persian", .time_zone = "Asia/Tehran",
                              .expiry_warning_days = NO_DAYS));

    /* 1404-01-01 is 2025-03-21 (Esfand 1403 has 30 days: 1403 is a leap year). */
    int gy = 0, gm = 0, gd = 0;
    assert_int_equal(calendar_to_gregorian(CALENDAR_PERSIAN, 1404, 1, 1, &gy, &gm, &gd), 0);
    assert_true(gy == 2025 && gm == 3 && gd == 21);
    int64_t farvardin_1404 = at("2025-03-21T00:00:00+03:30");
    int64_t ordibehesht_1404 = at("2025-04-21T00:00:00+03:30"); /* Farvardin has 31 days */

    /* Earned 1403-12-10 (2025-02-28) at noon in Tehran. */
    int64_t l1 = lot_of_txn(f, purchase(f, m, 10, at("2025-02-28T12:00:00+03:30")));
    assert_int_equal(q(f, "SELECT expires_at FROM lots WHERE id = ?1", l1, 0, 0), farvardin_1404);
    /* The last instant of Esfand 1403, and the first of Farvardin 1404. */
    int64_t l2 = lot_of_txn(f, purchase(f, m, 10, farvardin_1404 - 1));
    assert_int_equal(q(f, "SELECT expires_at FROM lots WHERE id = ?1", l2, 0, 0), farvardin_1404);
    int64_t l3 = lot_of_txn(f, purchase(f, m, 10, farvardin_1404));
    assert_int_equal(q(f, "SELECT expires_at FROM lots WHERE id = ?1", l3, 0, 0), ordibehesht_1404);
    /* 2025-03-20T21:00Z is already 1404-01-01 in Tehran, though still 20 March in UTC. */
    int64_t l4 = lot_of_txn(f, purchase(f, m, 10, at("2025-03-20T21:00:00Z")));
    assert_int_equal(q(f, "SELECT expires_at FROM lots WHERE id = ?1", l4, 0, 0), ordibehesht_1404);

    assert_int_equal(expire(f, farvardin_1404 - 1), 0);
    assert_int_equal(expire(f, farvardin_1404), 2);
    assert_int_equal(lot_remaining(f, l1) + lot_remaining(f, l2), 0);
    assert_int_equal(lot_remaining(f, l3) + lot_remaining(f, l4), 20);
    assert_points(f, m, 20, 0, 40);

    /* End of year: the next Nowruz. */
    set_programme(f, SETTINGS(.expiry_policy = "end_of_year"));
    assert_int_equal(calendar_to_gregorian(CALENDAR_PERSIAN, 1405, 1, 1, &gy, &gm, &gd), 0);
    char want[64];
    snprintf(want, sizeof want, "%04d-%02d-%02dT00:00:00+03:30", gy, gm, gd);
    int64_t l5 = lot_of_txn(f, purchase(f, m, 10, at("2025-06-01T12:00:00+03:30")));
    assert_int_equal(q(f, "SELECT expires_at FROM lots WHERE id = ?1", l5, 0, 0), at(want));
}

/* ---- the ledger as a whole, verify and the jobs ---- */

static void test_ledger_sums_to_zero_after_a_mixed_sequence(void **state)
{
    fixture *f = *state;
    int64_t ids[3] = {add_member(f), add_member(f), add_member(f)};
    set_programme(f, SETTINGS(.expiry_policy = "days", .expiry_days = 20, .pending_days = 1,
                              .expiry_warning_days = 3, .return_policy = "negative"));
    int64_t txns[64], txn_member[64], txn_left[64]; /* purchases, whose, and how many points a return may take */
    int ntxn = 0;
    uint64_t seed = 12345;
    int ok = 0;
    for (int step = 0; step < 400; step++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t r = (uint32_t)(seed >> 33);
        int64_t now = NOW_MS + step * (DAY_MS / 4);
        int64_t who = ids[r % 3], other = ids[(r / 3 + 1 + r % 3) % 3];
        int64_t pts = 1 + (r >> 8) % 90;
        op o = {.member = who, .points = pts, .now = now};
        int64_t k = (r >> 12) % (ntxn ? ntxn : 1);
        switch ((r >> 4) % 12) {
        case 0:
        case 1:
            o.kind = OP_PURCHASE;
            break;
        case 2:
            o.kind = OP_EARN;
            break;
        case 3:
        case 4:
            o.kind = OP_SPEND; /* half the time all that is available, so that returns find points spent */
            o.points = (r & 2) && points_of(f, who).available > 0 ? points_of(f, who).available : pts;
            break;
        case 5:
        case 6:
            if (ntxn == 0 || txn_left[k] == 0)
                continue;
            o.kind = OP_REVERSE;
            o.txn = txns[k];
            o.member = txn_member[k];
            /* Half the time the whole of what is left. */
            o.points = (r & 1) || 1 + pts % 20 > txn_left[k] ? txn_left[k] : 1 + pts % 20;
            break;
        case 7:
            o.kind = OP_ADJUST;
            o.points = (r & 0x100) ? pts : -pts;
            break;
        case 8:
            o.kind = OP_TRANSFER;
            o.other = who == other ? ids[(r % 3 + 1) % 3] : other;
            break;
        case 9:
            o.kind = OP_REFUND;
            break;
        case 10:
            o.kind = OP_MATURE;
            break;
        default:
            o.kind = OP_EXPIRE;
            break;
        }
        int status = run(f, &o);
        assert_true(status == STORE_OK || status == STORE_INVALID);
        ok += status == STORE_OK;
        if (status == STORE_OK && o.kind == OP_REVERSE)
            txn_left[k] -= o.points;
        if (status == STORE_OK && o.kind == OP_PURCHASE && ntxn < 64) {
            txn_member[ntxn] = who;
            txn_left[ntxn] = pts;
            txns[ntxn++] = o.out;
        }
    }
    assert_true(ok > 300);
    assert_true(ntxn > 20);
    /* Every kind of posting happened. */
    assert_int_equal(q(f, "SELECT count(DISTINCT kind) FROM postings", 0, 0, 0), 7);
    assert_true(q(f, "SELECT count(*) FROM postings WHERE kind = 'return' AND lot_id IS NULL", 0, 0, 0) > 0);
    /* The sum over all accounts is zero, and each club account is the sum of its postings. */
    assert_int_equal(q(f,
                       "SELECT (SELECT sum(balance) FROM club_accounts) + "
                       "(SELECT sum(points_available + points_pending) FROM member_stats)",
                       0, 0, 0),
                     0);
    assert_int_equal(q(f, "SELECT count(*) FROM club_accounts a WHERE balance != "
                          "(SELECT coalesce(sum(points), 0) FROM postings WHERE to_account = a.account) - "
                          "(SELECT coalesce(sum(points), 0) FROM postings WHERE from_account = a.account)",
                       0, 0, 0),
                     0);
    assert_true(club_balance(f, "club:issued") < 0);
    assert_true(club_balance(f, "club:redeemed") > 0);
    assert_true(club_balance(f, "club:expired") > 0);
    /* And once all the time has passed, everything has either been spent or expired. */
    assert_int_equal(jobs_run_all(f->s, NOW_MS + 400 * DAY_MS), STORE_OK);
    assert_verified(f);
    assert_int_equal(q(f, "SELECT sum(remaining) FROM lots", 0, 0, 0), 0);
    assert_int_equal(q(f, "SELECT sum(points_pending) + sum(max(points_available, 0)) FROM member_stats", 0, 0, 0), 0);
}

static void test_jobs_run_until_every_lot_past_the_limit_is_done(void **state)
{
    fixture *f = *state;
    int64_t m = add_member(f);
    set_programme(f, SETTINGS(.expiry_policy = "days", .expiry_days = 10, .pending_days = 1));
    op many = {.kind = OP_EARN_MANY, .member = m, .points = STORE_LOTS_MAX * 2 + 7, .now = NOW_MS};
    assert_int_equal(run(f, &many), STORE_OK);
    assert_points(f, m, 0, STORE_LOTS_MAX * 2 + 7, STORE_LOTS_MAX * 2 + 7);

    assert_int_equal(jobs_run_all(f->s, NOW_MS + DAY_MS), STORE_OK);
    assert_verified(f);
    assert_points(f, m, STORE_LOTS_MAX * 2 + 7, 0, STORE_LOTS_MAX * 2 + 7);
    assert_int_equal(jobs_run_all(f->s, NOW_MS + 8 * DAY_MS), STORE_OK); /* each lot warned once (14 days) */
    assert_int_equal(notices(f, m), STORE_LOTS_MAX * 2 + 7);
    assert_int_equal(jobs_run_all(f->s, NOW_MS + 10 * DAY_MS), STORE_OK);
    assert_verified(f);
    assert_points(f, m, 0, 0, STORE_LOTS_MAX * 2 + 7);
    assert_int_equal(club_balance(f, "club:expired"), STORE_LOTS_MAX * 2 + 7);
}

static void test_verify_names_the_member_whose_points_were_changed_by_hand(void **state)
{
    fixture *f = *state;
    int64_t a = add_member(f), b = add_member(f);
    purchase(f, a, 100, NOW_MS);
    purchase(f, b, 100, NOW_MS);
    assert_int_equal(spend(f, a, 30, NOW_MS), STORE_OK);
    assert_verified(f);

    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE member_stats SET points_available = points_available + 1 WHERE member_id = %lld",
             (long long)a);
    assert_int_equal(sqlite3_exec(f->db, sql, NULL, NULL, NULL), SQLITE_OK);

    json_t *problems = verify_problems(f);
    assert_true(json_array_size(problems) >= 2);
    char subject[40];
    snprintf(subject, sizeof subject, "member %lld", (long long)a);
    bool ledger_rule = false, lots_rule = false, sum_rule = false;
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p) {
        const char *rule = json_string_value(json_object_get(p, "rule"));
        const char *subj = json_string_value(json_object_get(p, "subject"));
        assert_non_null(rule);
        assert_non_null(subj);
        if (strcmp(subj, "all accounts") == 0) {
            sum_rule = true;
            assert_string_equal(json_string_value(json_object_get(p, "found")), "1");
            continue;
        }
        assert_string_equal(subj, subject); /* member b is not named */
        if (strstr(rule, "sum of their postings")) {
            ledger_rule = true;
            assert_string_equal(json_string_value(json_object_get(p, "expected")), "70");
            assert_string_equal(json_string_value(json_object_get(p, "found")), "71");
        }
        if (strstr(rule, "available lots"))
            lots_rule = true;
    }
    assert_true(ledger_rule && lots_rule && sum_rule);
    json_decref(problems);
}

/* Every member has one row of aggregates (member_stats), with its erasure: verify names a member that lost its row,
 * one whose erasure the row does not carry, and a row whose member does not exist. */
static void test_verify_names_a_member_without_its_row_of_aggregates(void **state)
{
    fixture *f = *state;
    int64_t a = add_member(f), b = add_member(f), c = add_member(f);
    purchase(f, a, 100, NOW_MS);
    assert_verified(f);
    char sql[256];
    snprintf(sql, sizeof sql,
             "DELETE FROM member_stats WHERE member_id = %lld; UPDATE member_stats SET erased_at = 5 WHERE "
             "member_id = %lld; INSERT INTO member_stats (member_id) VALUES (%lld)",
             (long long)b, (long long)c, (long long)(c + 100));
    assert_int_equal(sqlite3_exec(f->db, sql, NULL, NULL, NULL), SQLITE_OK);

    json_t *problems = verify_problems(f);
    char want_b[40], want_c[40], want_orphan[48];
    snprintf(want_b, sizeof want_b, "member %lld", (long long)b);
    snprintf(want_c, sizeof want_c, "member %lld", (long long)c);
    snprintf(want_orphan, sizeof want_orphan, "aggregates of member %lld", (long long)(c + 100));
    bool seen_b = false, seen_c = false, seen_orphan = false;
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p) {
        const char *rule = json_string_value(json_object_get(p, "rule"));
        const char *subj = json_string_value(json_object_get(p, "subject"));
        if (!strstr(rule, "one row of aggregates"))
            continue;
        seen_b |= strcmp(subj, want_b) == 0 && strcmp(json_string_value(json_object_get(p, "found")), "none") == 0;
        seen_c |= strcmp(subj, want_c) == 0 && strcmp(json_string_value(json_object_get(p, "found")), "erased 5") == 0;
        seen_orphan |= strcmp(subj, want_orphan) == 0;
    }
    assert_true(seen_b && seen_c && seen_orphan);
    assert_int_equal(json_array_size(problems), 3);
    json_decref(problems);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_earn_posts_once_from_issued_into_one_lot),
        T(test_earn_with_pending_days_waits_until_mature),
        T(test_spend_takes_the_lots_that_expire_first),
        T(test_spend_of_more_than_available_is_refused_and_writes_nothing),
        T(test_reverse_takes_the_purchase_own_lots_first),
        T(test_reverse_takes_others_then_leaves_a_debt_that_the_next_earn_repays),
        T(test_reverse_with_remaining_policy_takes_only_what_is_left),
        T(test_adjust_gives_and_takes_through_the_adjustment_account),
        T(test_transfer_moves_points_and_gives_the_receiver_a_lot),
        T(test_mature_repays_what_the_member_owes),
        T(test_expire_posts_to_expired_and_warns_once_per_lot),
        T(test_expire_of_pending_points_takes_them_from_pending),
        T(test_end_of_month_expiry_is_the_next_jalali_month_in_tehran),
        T(test_ledger_sums_to_zero_after_a_mixed_sequence),
        T(test_jobs_run_until_every_lot_past_the_limit_is_done),
        T(test_verify_names_the_member_whose_points_were_changed_by_hand),
        T(test_verify_names_a_member_without_its_row_of_aggregates),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
