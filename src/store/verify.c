/* `bashgah verify`: every invariant of the points ledger, checked with whole-table queries. Each query returns
 * the rows that break a rule; an empty result means the rule holds. These read the whole database, so they
 * run from the CLI (a read connection: the server keeps serving meanwhile), never on a request. */
#include "store/internal.h"

#include <stdio.h>

static const struct check {
    const char *name;
    const char *sql; /* rows of (subject, expected, found) that break the rule */
} checks[] = {
    {"the postings of all accounts sum to zero",
     "SELECT 'all accounts', 0, (SELECT coalesce(sum(balance), 0) FROM club_accounts) + "
     "(SELECT coalesce(sum(points_available + points_pending), 0) FROM member_stats) "
     "WHERE (SELECT coalesce(sum(balance), 0) FROM club_accounts) + "
     "(SELECT coalesce(sum(points_available + points_pending), 0) FROM member_stats) != 0"},
    {"a club account's balance equals the sum of its postings",
     "SELECT a.account, coalesce((SELECT sum(points) FROM postings WHERE to_account = a.account), 0) - "
     "coalesce((SELECT sum(points) FROM postings WHERE from_account = a.account), 0), a.balance "
     "FROM club_accounts a WHERE a.balance != "
     "coalesce((SELECT sum(points) FROM postings WHERE to_account = a.account), 0) - "
     "coalesce((SELECT sum(points) FROM postings WHERE from_account = a.account), 0)"},
    {"a member's available plus pending points equal the sum of their postings",
     "WITH moves AS (SELECT to_account AS account, points AS delta FROM postings UNION ALL "
     "SELECT from_account, -points FROM postings), flows AS (SELECT account, sum(delta) AS balance FROM moves "
     "WHERE account LIKE 'member:%' GROUP BY account) SELECT 'member ' || m.member_id, coalesce(f.balance, 0), "
     "m.points_available + m.points_pending FROM member_stats m "
     "LEFT JOIN flows f ON f.account = 'member:' || m.member_id "
     "WHERE coalesce(f.balance, 0) != m.points_available + m.points_pending"},
    {"a member's pending points equal what is left of their pending lots",
     "WITH l AS (SELECT member_id, sum(CASE WHEN matured = 0 THEN remaining ELSE 0 END) AS pending FROM lots "
     "GROUP BY member_id) SELECT 'member ' || m.member_id, coalesce(l.pending, 0), m.points_pending "
     "FROM member_stats m "
     "LEFT JOIN l ON l.member_id = m.member_id WHERE m.points_pending != coalesce(l.pending, 0)"},
    {"a member's available points equal what is left of their available lots (less what they owe)",
     "WITH l AS (SELECT member_id, sum(CASE WHEN matured = 1 THEN remaining ELSE 0 END) AS available FROM lots "
     "GROUP BY member_id) SELECT 'member ' || m.member_id, coalesce(l.available, 0), m.points_available "
     "FROM member_stats m "
     "LEFT JOIN l ON l.member_id = m.member_id WHERE (m.points_available >= 0 AND m.points_available != "
     "coalesce(l.available, 0)) OR (m.points_available < 0 AND coalesce(l.available, 0) != 0)"},
    {"a member's lifetime points equal the points they earned, less those reversed by returns",
     "WITH e AS (SELECT member_id, sum(CASE WHEN kind = 'earn' AND to_account = 'member:' || member_id THEN points "
     "WHEN kind = 'return' AND from_account = 'member:' || member_id THEN -points ELSE 0 END) AS lifetime "
     "FROM postings GROUP BY member_id) SELECT 'member ' || m.member_id, coalesce(e.lifetime, 0), m.points_lifetime "
     "FROM member_stats m LEFT JOIN e ON e.member_id = m.member_id WHERE m.points_lifetime != coalesce(e.lifetime, 0)"},
    {"postings name only known accounts",
     "SELECT 'posting ' || id, 'member:N, campaign:N, moment:N or club:issued|redeemed|expired|adjustment', "
     "from_account || ' -> ' || to_account FROM postings WHERE NOT ("
     "(from_account IN ('club:issued', 'club:redeemed', 'club:expired', 'club:adjustment') OR "
     "from_account GLOB 'member:[0-9]*' OR from_account GLOB 'campaign:[0-9]*' OR "
     "from_account GLOB 'moment:[0-9]*') AND "
     "(to_account IN ('club:issued', 'club:redeemed', 'club:expired', 'club:adjustment') OR to_account GLOB "
     "'member:[0-9]*' OR to_account GLOB 'campaign:[0-9]*'))"},
    {"a campaign's spent points equal the points that left its account, and never pass its budget",
     "SELECT 'campaign ' || c.id, c.spent_points || ' of ' || c.budget_points, coalesce((SELECT sum(points) FROM "
     "postings WHERE from_account = 'campaign:' || c.id), 0) - coalesce((SELECT sum(points) FROM postings WHERE "
     "to_account = 'campaign:' || c.id), 0) FROM campaigns c WHERE c.spent_points != coalesce((SELECT sum(points) "
     "FROM postings WHERE from_account = 'campaign:' || c.id), 0) - coalesce((SELECT sum(points) FROM postings "
     "WHERE to_account = 'campaign:' || c.id), 0) OR c.spent_points > c.budget_points OR c.spent_money_minor > "
     "c.budget_money_minor"},
    {"no lot holds more than it was given",
     "SELECT 'lot ' || id, points, remaining FROM lots WHERE remaining > points OR remaining < 0"},
    {"a member's purchase count, total spent and last purchase agree with their transactions",
     "WITH t AS (SELECT member_id, sum(type = 'purchase') AS n, sum(CASE WHEN type = 'purchase' THEN amount_minor "
     "ELSE -amount_minor END) AS spent, max(CASE WHEN type = 'purchase' THEN occurred_at END) AS last FROM "
     "transactions GROUP BY member_id) SELECT 'member ' || m.member_id, "
     "coalesce(t.n, 0) || '/' || coalesce(t.spent, 0) || '/' || coalesce(t.last, 0), "
     "m.purchase_count || '/' || m.total_spent_minor || '/' || coalesce(m.last_purchase_at, 0) "
     "FROM member_stats m LEFT JOIN t ON t.member_id = m.member_id WHERE coalesce(t.n, 0) != "
     "m.purchase_count OR coalesce(t.spent, 0) != m.total_spent_minor OR coalesce(t.last, 0) != "
     "coalesce(m.last_purchase_at, 0)"},
    /* The ledger's tables hold no REFERENCES clauses (migration 0015: the writer keeps them by construction), so
     * each reference is checked here. */
    {"a posting names a member, lot, transaction and redemption that exist",
     "SELECT 'posting ' || p.id, 'member ' || p.member_id || coalesce(', lot ' || p.lot_id, '') || "
     "coalesce(', transaction ' || p.transaction_id, '') || coalesce(', redemption ' || p.redemption_id, ''), "
     "'missing:' || CASE WHEN m.id IS NULL THEN ' member' ELSE '' END || CASE WHEN p.lot_id IS NOT NULL AND l.id IS "
     "NULL THEN ' lot' ELSE '' END || CASE WHEN p.transaction_id IS NOT NULL AND t.id IS NULL THEN ' transaction' "
     "ELSE '' END || CASE WHEN p.redemption_id IS NOT NULL AND r.id IS NULL THEN ' redemption' ELSE '' END "
     "FROM postings p LEFT JOIN members m ON m.id = p.member_id LEFT JOIN lots l ON l.id = p.lot_id "
     "LEFT JOIN transactions t ON t.id = p.transaction_id LEFT JOIN redemptions r ON r.id = p.redemption_id "
     "WHERE m.id IS NULL OR (p.lot_id IS NOT NULL AND l.id IS NULL) OR (p.transaction_id IS NOT NULL AND t.id IS "
     "NULL) OR (p.redemption_id IS NOT NULL AND r.id IS NULL)"},
    {"a lot names a member and transaction that exist",
     "SELECT 'lot ' || l.id, 'member ' || l.member_id || coalesce(', transaction ' || l.transaction_id, ''), "
     "'missing:' || CASE WHEN m.id IS NULL THEN ' member' ELSE '' END || CASE WHEN l.transaction_id IS NOT NULL AND "
     "t.id IS NULL THEN ' transaction' ELSE '' END FROM lots l LEFT JOIN members m ON m.id = l.member_id "
     "LEFT JOIN transactions t ON t.id = l.transaction_id WHERE m.id IS NULL OR (l.transaction_id IS NOT NULL AND "
     "t.id IS NULL)"},
    {"a transaction names a member (and a return its purchase) that exist",
     "SELECT 'transaction ' || t.id, 'member ' || t.member_id || coalesce(', original ' || t.original_id, ''), "
     "'missing:' || CASE WHEN m.id IS NULL THEN ' member' ELSE '' END || CASE WHEN t.original_id IS NOT NULL AND "
     "o.id IS NULL THEN ' original' ELSE '' END FROM transactions t LEFT JOIN members m ON m.id = t.member_id "
     "LEFT JOIN transactions o ON o.id = t.original_id WHERE m.id IS NULL OR (t.original_id IS NOT NULL AND o.id IS "
     "NULL)"},
    {"each member has one row of aggregates (member_stats), with the member's erasure",
     "SELECT 'member ' || m.id, 'aggregates, erased ' || coalesce(m.erased_at, 'never'), CASE WHEN s.member_id IS "
     "NULL THEN 'none' ELSE 'erased ' || coalesce(s.erased_at, 'never') END FROM members m LEFT JOIN member_stats s "
     "ON s.member_id = m.id WHERE s.member_id IS NULL OR s.erased_at IS NOT m.erased_at UNION ALL SELECT "
     "'aggregates of member ' || s.member_id, 'a member', 'missing' FROM member_stats s WHERE NOT EXISTS (SELECT 1 "
     "FROM members m WHERE m.id = s.member_id)"},
    {"a class change names a member that exists",
     "SELECT 'class change ' || c.id, 'member ' || c.member_id, 'missing' FROM class_changes c "
     "WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.id = c.member_id)"},
    {"a campaign assignment names a member and a wave of its own campaign (migration 0014: no foreign keys)",
     "SELECT 'campaign ' || a.campaign_id || ' member ' || a.member_id, 'a member and a wave of the campaign', "
     "'wave ' || a.wave_id FROM campaign_assignments a WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.id = "
     "a.member_id) OR NOT EXISTS (SELECT 1 FROM campaign_waves w WHERE w.id = a.wave_id AND w.campaign_id = "
     "a.campaign_id)"},
    {"a purchase never has more points reversed than it earned, nor more money returned than it was",
     "SELECT 'transaction ' || id, points || '/' || amount_minor, points_reversed || '/' || amount_returned_minor "
     "FROM transactions WHERE type = 'purchase' AND "
     "(points_reversed > points OR amount_returned_minor > amount_minor)"},
};

int store_verify(store_reader *r, json_t *problems)
{
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(r->conn.db, checks[i].sql, -1, &st, NULL) != SQLITE_OK) {
            json_array_append_new(problems, json_pack("{s:s, s:s}", "rule", checks[i].name, "error",
                                                      sqlite3_errmsg(r->conn.db)));
            continue;
        }
        int rc, shown = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && shown++ < 100)
            json_array_append_new(problems, json_pack("{s:s, s:s?, s:s?, s:s?}", "rule", checks[i].name, "subject",
                                                      (const char *)sqlite3_column_text(st, 0), "expected",
                                                      (const char *)sqlite3_column_text(st, 1), "found",
                                                      (const char *)sqlite3_column_text(st, 2)));
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            return store_status_of(&r->conn, rc, "verify");
    }
    return STORE_OK;
}
