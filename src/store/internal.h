/* Private to src/store: the connection type shared by readers and write transactions, its cache of prepared
 * statements, and the helpers that run one-use statements (a get, a list's rows, a write's one step). A statement
 * belongs to one connection; each is prepared on first use and reused. */
#ifndef BASHGAH_STORE_INTERNAL_H
#define BASHGAH_STORE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>

#include "store/store.h"

enum {
    STMT_MEMBER_GET,
    STMT_MEMBER_BY_REF,
    STMT_MEMBER_BY_PHONE,
    STMT_MEMBER_BY_EMAIL,
    STMT_MEMBER_INSERT,
    STMT_MEMBER_UPDATE,
    STMT_MEMBER_STATS_INSERT,
    STMT_MEMBER_STATS_ERASED,
    STMT_MEMBER_STATS_IMPORT,
    STMT_MEMBER_LIST,
    STMT_MEMBER_LIST_PHONE,
    STMT_MEMBER_LIST_EMAIL,
    STMT_MEMBER_LIST_NAME,
    STMT_MEMBER_COUNT,
    STMT_CONSENT_INSERT,
    STMT_CONSENT_INSERT_MANY,
    STMT_CONSENT_LIST,
    STMT_MEMBER_NAME_GET,
    STMT_MEMBER_NAME_INDEX,
    STMT_MEMBER_NAME_UNINDEX,
    STMT_USER_BY_NAME,
    STMT_USER_GET,
    STMT_USER_COUNT,
    STMT_USER_ALL,
    STMT_USER_INSERT,
    STMT_USER_UPDATE,
    STMT_LOGIN_FAIL_INSERT,
    STMT_LOGIN_FAIL_COUNT,
    STMT_LOGIN_FAIL_CLEAR,
    STMT_SESSION_GET,
    STMT_SESSION_INSERT,
    STMT_SESSION_DELETE,
    STMT_APIKEY_GET,
    STMT_APIKEY_ALL,
    STMT_APIKEY_INSERT,
    STMT_APIKEY_REVOKE,
    STMT_AUDIT_INSERT,
    STMT_AUDIT_LIST,
    STMT_AUDIT_LIST_TARGET,
    STMT_IDEM_GET,
    STMT_IDEM_PUT,
    STMT_IDEM_PURGE,
    STMT_PAGE_COUNT,
    STMT_READ_BEGIN,
    STMT_READ_END,
    STMT_SAVEPOINT,
    STMT_RELEASE,
    STMT_ROLLBACK_TO,
    /* ledger.c */
    STMT_PROGRAMME_GET,
    STMT_PROGRAMME_UPDATE,
    STMT_MEMBER_POINTS_GET,
    STMT_MEMBER_POINTS_ADD,
    STMT_MEMBER_PURCHASE_ADD,
    STMT_POSTING_INSERT,
    STMT_CLUB_ACCOUNT_ADD,
    STMT_CLUB_ACCOUNT_UPDATE,
    STMT_LOT_INSERT,
    STMT_LOTS_OPEN,
    STMT_LOTS_OPEN_TXN,
    STMT_LOT_TAKE,
    STMT_LOTS_MATURING,
    STMT_LOT_MATURED,
    STMT_LOTS_EXPIRING,
    STMT_LOTS_WARN,
    STMT_LOT_WARNED,
    STMT_NOTICE_INSERT,
    STMT_POSTINGS_MEMBER,
    STMT_TXN_BY_KEY,
    STMT_TXN_INSERT,
    STMT_TXN_GET,
    STMT_TXN_RETURNED,
    STMT_TXN_ANSWER,
    STMT_TXN_EXPIRED_OPEN,
    STMT_TXN_READ,
    STMT_EVENT_BY_KEY,
    STMT_EVENT_INSERT,
    STMT_PURCHASE_COUNT,
    STMT_PURCHASE_RULE_GRANTED,
    /* rewards and tiers: tiers.c, rewards.c */
    STMT_TIER_RULES,
    STMT_TIER_ALL,
    STMT_TIER_GET,
    STMT_TIER_COUNT,
    STMT_TIER_INSERT,
    STMT_TIER_UPDATE,
    STMT_MEMBER_TIER_GET,
    STMT_MEMBER_TIER_SET,
    STMT_TIER_CHANGE_INSERT,
    STMT_TIER_POINTS_SUM,
    STMT_TIER_SPEND_SUM,
    STMT_TIER_POINTS_EACH,
    STMT_TIER_SPEND_EACH,
    STMT_TIER_DUE,
    STMT_REWARD_GET,
    STMT_REWARD_LIST,
    STMT_REWARD_INSERT,
    STMT_REWARD_UPDATE,
    STMT_REWARD_STOCK_TAKE,
    STMT_REWARD_STOCK_RETURN,
    STMT_REDEMPTION_GET,
    STMT_REDEMPTION_BY_KEY,
    STMT_REDEMPTION_INSERT,
    STMT_REDEMPTION_STATUS,
    STMT_REDEMPTION_COUNT,
    STMT_REDEMPTION_MEMBER,
    /* rules (rules.c) */
    STMT_RULE_GET,
    STMT_RULE_INSERT,
    STMT_RULE_UPDATE,
    STMT_RULE_LIST,
    STMT_RULES_ACTIVE_COUNT,
    STMT_RULES_FOR_EVENT,
    STMT_RULE_GRANTED,
    STMT_RULE_GRANT_ADD,
    /* the member portal (portal.c) */
    STMT_PORTAL_CODE_LIVE,
    STMT_PORTAL_CODES_SINCE,
    STMT_PORTAL_CODE_INSERT,
    STMT_PORTAL_CODE_TRIED,
    STMT_PORTAL_CODE_USED,
    STMT_PORTAL_SESSION_GET,
    STMT_PORTAL_SESSION_INSERT,
    STMT_PORTAL_SESSION_DELETE,
    STMT_MESSAGE_VOID,
    STMT_MESSAGE_CODE_PENDING,
    /* classes, RFM and value (classes.c) */
    STMT_CLASS_SETTINGS_GET,
    STMT_CLASS_SETTINGS_SET,
    STMT_CLASS_CONTEXT,
    STMT_RFM_CUTS_SET,
    STMT_MEMBER_CLASS_GET,
    STMT_MEMBER_CLASS_PAGE,
    STMT_MEMBER_CLASS_SET,
    STMT_MEMBER_SCORES_SET,
    STMT_CLASS_CHANGE_INSERT,
    STMT_CLASS_POPULATION,
    STMT_MEMBER_ID_MAX,
    STMT_CLASS_HISTORY,
    /* the writer's cache (cache.c) and the purchase path */
    STMT_DATA_VERSION,
    STMT_RULES_ACTIVE,
    STMT_MEMBER_ACCOUNT_GET,
    STMT_MEMBER_ACCOUNT_BY_REF,
    STMT_MEMBER_ACCOUNT_BY_PHONE,
    STMT_MEMBER_PURCHASE_APPLY,
    /* messages (outbox.c) */
    STMT_OUTBOX_INSERT,
    STMT_OUTBOX_DUE,
    STMT_OUTBOX_ATTEMPT_INSERT,
    STMT_OUTBOX_STATUS,
    STMT_BROADCAST_INSERT,
    STMT_BROADCAST_RECIPIENTS,
    STMT_BROADCAST_GET,
    STMT_BROADCAST_COUNTS,
    STMT_AUDIENCE_ALL,
    STMT_AUDIENCE_CLASS,
    STMT_MESSAGE_SECRET,
    STMT_INBOX_LIST,
    STMT_INBOX_UNREAD,
    STMT_INBOX_READ,
    STMT_OUTBOX_SENT_COUNT,
    STMT_OUTBOX_FORGET_MEMBER,
    STMT_PORTAL_CODES_PURGE,
    STMT_PORTAL_SESSIONS_PURGE,
    /* campaigns (campaigns.c): the grant path's statements */
    STMT_CAMPAIGN_SPEND,
    STMT_CAMPAIGN_ASSIGN,
    STMT_CAMPAIGN_DUE,
    STMT_CAMPAIGN_GRANTED,
    STMT_CAMPAIGN_ASSIGNMENT,
    STMT_CAMPAIGN_MULTIPLIERS,
    STMT_COST_INSERT,
    STMT_MOMENT_GRANTED, /* moments.c: the statements the job runs per member */
    STMT_MOMENT_COST,
    STMT_MEMBER_PURCHASE_SCORES_APPLY,
    STMT_MEMBER_PURCHASE_CLASS_APPLY,
    STMT_WEBHOOK_ANY,
    STMT_WEBHOOK_TARGETS,
    STMT_WEBHOOK_DELIVERY_INSERT,
    STMT_COUNT
};

/* The WAL-index header in the database's shared memory: 48 bytes (SQLite's WalIndexHdr, see
 * https://sqlite.org/walformat.html), rewritten by every commit. */
#define STORE_WAL_HEADER_WORDS 12

typedef struct store_conn {
    sqlite3 *db;
    sqlite3_stmt *stmts[STMT_COUNT];
    /* A reader that holds its read transaction (store_reader_hold): the live WAL-index header, and the copy
     * taken before the held transaction began. NULL: each statement is its own transaction. */
    const volatile uint32_t *wal_header;
    uint32_t wal_header_seen[STORE_WAL_HEADER_WORDS];
    uint64_t version; /* counts the changes of wal_header_seen: store_reader_version */
} store_conn;

struct store_reader {
    store_conn conn;
};

/* What the writer keeps between jobs instead of reading it for each purchase: the programme, the tiers, the
 * active earning rules of each event, the class settings and the RFM cuts. An entry is good while its gen equals the connection's (cache.c). */
#define STORE_CACHE_EVENTS 8

typedef struct store_cache_rules {
    uint64_t gen; /* 0: empty */
    char event[32];
    rule rules[RULES_MAX];
    int n;
} store_cache_rules;

typedef struct store_cache {
    uint64_t programme_gen, tiers_gen; /* 0: not loaded */
    store_programme programme;
    store_tier tiers[STORE_TIERS_MAX];
    int ntiers;
    store_cache_rules events[STORE_CACHE_EVENTS];
    uint64_t multipliers_gen; /* the live multiplier campaigns (campaigns.c); 0: not loaded */
    store_campaign_multiplier *multipliers; /* malloc'd, grown as needed: every live one, however many */
    int nmultipliers, multipliers_cap;
    uint64_t class_gen; /* the class settings and RFM cuts (classes.c); 0: not loaded */
    class_settings class_settings;
    rfm_all_cuts class_cuts;
} store_cache;

struct store_tx {
    store_conn conn;
    int depth; /* open nested savepoints */
    /* Starts at 1; bumped whenever cached data may have changed: a write to the programme, tiers or rules on this
     * connection, a rollback (it may undo such a write), and a commit by another connection (PRAGMA data_version,
     * checked at the start of each transaction: within it nobody else can write). */
    uint64_t gen;
    int64_t data_version;
    store_cache *cache; /* allocated on first use */
    /* members.c's keys_guard: the generation at which no unique index of members was found set aside (valid when
     * keys_checked); import_keys_aside: this connection is the import that set them aside (sqlite.c). */
    uint64_t keys_gen;
    bool keys_checked, import_keys_aside;
    /* Between store_import_begin and store_import_end: a member's row of aggregates is added per chunk
     * (store_tx_import_stats_add) rather than with each member (members.c). */
    bool import_stats_later;
};

/* A member's row with its aggregates (member_stats, migration 0025: what a purchase changes, in a narrow table of
 * its own). Both tables have erased_at (member_stats keeps a copy for segment counts): name it with its table. */
#define STORE_MEMBER_FROM "members JOIN member_stats ON member_stats.member_id = members.id"
/* The members a count or a walk over many of them reads (segments, audiences): their aggregates alone when the
 * condition names only those (every member has its row, with a copy of its erasure), so that no member row is
 * read; else joined with the member rows (an inner join, which SQLite may start from an index of members). */
#define STORE_AUDIENCE_ID "member_stats.member_id"
#define STORE_AUDIENCE_LIVE "member_stats.erased_at IS NULL"
static inline const char *store_audience_from(bool profile)
{
    return profile ? STORE_MEMBER_FROM : "member_stats";
}

/* io_stats.c: the step that began at start_ns (clock_mono_ns) has ended. */
void store_io_record(store *s, store_io_step step, uint64_t start_ns);

struct store {
    char *path;
    store_tx writer_tx; /* the writer thread's connection */
    pthread_t writer_thread;
    int writer_running;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    store_job *head, *tail;
    int queued;
    int stopping;
    uint64_t batch_buckets[STORE_BATCH_BUCKETS], jobs_done, batches_done; /* under lock */
    store_io_histogram io[STORE_IO_STEPS]; /* io_stats.c: each written by one thread, without the lock */
    uint64_t commit_checkpoint_ns;         /* the writer's own: its checkpoint's time within the COMMIT under way */
    /* The checkpointer (writer.c): copies the WAL into the database on its own connection, so the writer never
     * stalls on it. Under lock. */
    pthread_t checkpoint_thread;
    pthread_cond_t checkpoint_wake;
    int checkpoint_running, checkpoint_due, checkpoint_stopping;
    int checkpoint_frames; /* WAL frames when the writer last woke the checkpointer (the writer's own) */
    int checkpoint_busy;   /* a pass is under way */
    int checkpoint_copied; /* WAL frames copied into the database as of the last pass */
    int checkpoint_flush;  /* the WAL is near its end: the next pass flushes the database file too */
    int db_fd;             /* the checkpointer's own descriptor of the database file, for that flush */
    /* The syncer (writer.c): fsyncs the WAL for committed batches and only then reports their jobs done, while the
     * writer goes on with the next batch. Under lock but wal_fd (the syncer's own). */
    pthread_t sync_thread;
    pthread_cond_t sync_wake;
    store_job *sync_head, *sync_tail;
    int sync_running, sync_stopping;
    int sync_busy; /* an fsync is under way: the writer keeps its transaction open for what arrives meanwhile */
    int wal_fd;
    struct import_copier *import_copier; /* sqlite.c: the CLI import's checkpointer, between store_import_begin and end */
};

/* Opens a connection with bashgah's pragmas (WAL, synchronous=FULL, busy timeout, foreign keys). */
int store_conn_open(store_conn *c, const char *path, char *err, size_t errlen);
/* The same through the named VFS (NULL: the default one). */
int store_conn_open_vfs(store_conn *c, const char *path, const char *vfs, char *err, size_t errlen);
/* The write connection's VFS (walbuf.c): the default one with each transaction's WAL frames written in one call;
 * NULL when it could not be registered. */
#define STORE_WALBUF_VFS "bashgah-walbuf"
const char *store_walbuf_vfs(void);
void store_conn_close(store_conn *c);
/* The cached statement idx (prepared from sql on first use), reset and with bindings cleared. NULL on error. */
sqlite3_stmt *store_stmt(store_conn *c, int idx, const char *sql);
/* Maps an SQLite result code to a store_status, logging unexpected errors. */
int store_status_of(store_conn *c, int rc, const char *what);
/* A statement prepared for one use (finalised by the caller), for SQL that runs too seldom to keep cached or that
 * is built at run time; NULL (and the error logged) when it does not prepare. */
sqlite3_stmt *store_prepare(store_conn *c, const char *sql);
/* Runs sql, whose one parameter is an id, and fills out from its row with from_row: STORE_OK, STORE_NOTFOUND, or
 * the error (logged as `what`). */
int store_get_by_id(store_conn *c, const char *sql, int64_t id, void (*from_row)(sqlite3_stmt *st, void *out),
                    void *out, const char *what);
/* Steps st (bound, from store_prepare) through its rows and returns from the calling function: each row is read
 * into a `type` by from_row(st, &v), handed to cb(&v, arg), released by release(&v) (STORE_KEEP_ROW for a type
 * that owns nothing) and counted in *count when count is not NULL (the caller sets it to 0). Finalises st and
 * returns its status (logged as `what`). The list functions' one loop, as store_get_by_id is their one get. */
#define STORE_EACH_ROW(c, st, type, from_row, cb, arg, release, count, what)                                          \
    do {                                                                                                               \
        int *count_ = (count);                                                                                         \
        int rc_;                                                                                                       \
        while ((rc_ = sqlite3_step(st)) == SQLITE_ROW) {                                                              \
            type v_;                                                                                                   \
            from_row(st, &v_);                                                                                         \
            cb(&v_, arg);                                                                                              \
            release(&v_);                                                                                              \
            if (count_)                                                                                                \
                (*count_)++;                                                                                           \
        }                                                                                                              \
        sqlite3_finalize(st);                                                                                          \
        return store_status_of(c, rc_, what);                                                                          \
    } while (0)
/* STORE_EACH_ROW's release for a row type that owns nothing. */
#define STORE_KEEP_ROW(v) ((void)(v))

/* Steps st (from store_prepare: NULL when it did not prepare) once and finalises it: STORE_OK, STORE_CONFLICT for a
 * constraint, or the error (logged as `what`). The writes' one step, as store_get_by_id is the gets' one. */
static inline int store_step_once(store_conn *c, sqlite3_stmt *st, const char *what)
{
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return store_status_of(c, rc, what);
}

/* The same for a statement that stays prepared (from store_stmt): steps it once and resets it for its next use. */
static inline int store_step_reset(store_conn *c, sqlite3_stmt *st, const char *what)
{
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return store_status_of(c, rc, what);
}

/* ---- the writer's cache (cache.c) ---- */
/* Marks everything cached as stale. */
void store_cache_forget(store_tx *tx);
/* At the start of a write transaction: forgets the cache when another connection has committed since. */
int store_cache_begin(store_tx *tx);
/* The cache of tx, allocated on first use (aborts when out of memory); entries are checked against tx->gen. */
store_cache *store_cache_of(store_tx *tx);
void store_cache_free(store_tx *tx);
/* Empties one event's cached rules (releasing them). */
void store_cache_rules_clear(store_cache_rules *e);

/* Binds text, or NULL when s is empty. */
void store_bind_text_or_null(sqlite3_stmt *st, int i, const char *s);
/* Copies column i (text) into dst of size cap, "" for NULL. */
void store_column_text(sqlite3_stmt *st, int i, char *dst, size_t cap);

#endif
