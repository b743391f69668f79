/* The one storage interface of bashgah. Everything that reads or writes the database goes through here;
 * sqlite.c and its siblings implement it on SQLite (a PostgreSQL implementation can fill the same functions).
 *
 * Threads: a store is shared. Reads use a store_reader, one per thread. Writes run as jobs on the store's
 * single writer thread, which batches queued jobs into one transaction (group commit), runs each job inside
 * its own SAVEPOINT (a job that fails is rolled back alone), commits, and only then calls each job's done().
 * The CLI runs write functions synchronously with store_run(). Functions return a store_status. */
#ifndef BASHGAH_STORE_H
#define BASHGAH_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/member.h"
#include "core/roles.h"
#include "core/tiers.h"

typedef struct store store;
typedef struct store_reader store_reader;
typedef struct store_tx store_tx;

typedef enum store_status {
    STORE_OK = 0,
    STORE_NOTFOUND,
    STORE_CONFLICT, /* a unique value is taken; the function names the field */
    STORE_INVALID,  /* the job refused its input; nothing it wrote is kept */
    STORE_FULL,     /* the writer queue is at its limit: try later */
    STORE_ERROR     /* the database failed (I/O, corruption, closed) */
} store_status;

#define STORE_QUEUE_MAX 8192 /* jobs waiting for the writer */
#define STORE_BATCH_MAX 512  /* jobs in one transaction */

/* ---- lifecycle ---- */
/* Opens (creating when needed) DATA_DIR/bashgah.db and applies pending migrations. */
int store_open(store **out, const char *data_dir, char *err, size_t errlen);
/* Stops the writer if running (finishing queued jobs) and closes the database. NULL is a no-op. */
void store_close(store *s);
int store_schema_version(store *s);
/* Online copy of the whole database into path (SQLite backup API); safe while the server writes. */
int store_backup(store *s, const char *path, char *err, size_t errlen);

/* ---- reads: one reader per thread ---- */
store_reader *store_reader_open(store *s);
void store_reader_close(store_reader *r);
/* From now on r keeps one read transaction across its statements, renewed only when a commit (from any
 * connection or process) has finished since it began, until store_reader_release: for a loop thread, which
 * calls store_reader_release before it waits for events. Without shared memory to watch, r stays as it was. */
void store_reader_hold(store_reader *r);
/* Ends r's held transaction (a no-op when there is none), so checkpoints need not wait for it. */
void store_reader_release(store_reader *r);
/* For a held reader, a number that stays the same exactly while no commit has finished (the database is as r
 * last read it), so what was read under it still holds; 0 when r is not held (nothing can be known). */
uint64_t store_reader_version(store_reader *r);
int64_t store_db_size_bytes(store_reader *r);

/* ---- writes ---- */
typedef int (*store_write_fn)(store_tx *tx, void *arg);

typedef struct store_job {
    store_write_fn fn;
    void *arg;
    /* Called on a writer thread once the commit is on disk (status STORE_OK or the job's own status), or after a
     * failed commit or fsync (STORE_ERROR). It must only hand the job over to its owner's thread. */
    void (*done)(struct store_job *job);
    int status;
    struct store_job *next; /* private to the writer */
} store_job;

int store_writer_start(store *s);
/* Returns STORE_OK, or STORE_FULL when the queue is at STORE_QUEUE_MAX, or STORE_ERROR when stopping. */
int store_submit(store *s, store_job *job);
/* Runs fn in one transaction on the calling thread (waiting for the lock). For the CLI and start-up. */
int store_run(store *s, store_write_fn fn, void *arg);
/* Bulk import tuning for the writer connection, used by the CLI import only (the server never calls them).
 * store_import_begin raises the page cache (a chunk's dirty pages stay in memory instead of spilling into the
 * WAL) and stops automatic checkpoints, so a page rewritten by many chunks is copied into the database once, and
 * turns foreign key checks off on that connection (the import's consent rows name the member the same row has
 * just written: sqlite.c says why that is safe); durability is unchanged: every commit is still synchronous=FULL
 * in the WAL. store_import_end checkpoints the WAL into the database (a second connection copies the import's
 * part while the indexes below are built; then truncating it; a busy reader only postpones that) and restores the
 * server's settings.
 * When the members table is empty, store_import_begin also drops its indexes, recording each in pending_indexes in
 * the same transaction, and store_import_end builds them again, once, over all the imported rows; store_open does
 * the same for any an interrupted import left recorded. The unique ones (external_ref, phone, email) are set
 * aside only when keys_aside is not NULL, and *keys_aside says whether they were: the caller then promises that
 * no row it writes takes a key an earlier row holds until it has called store_tx_import_keys_build (app/import.c
 * keeps that promise). Any other connection (the server) that inserts or updates a member meanwhile builds them
 * first (members.c, keys_guard). Both return STORE_OK or STORE_ERROR. */
int store_import_begin(store *s, bool *keys_aside);
int store_import_end(store *s);
/* Builds the unique indexes of members that store_import_begin set aside, in the job's transaction (nothing when
 * there are none): before the import writes a row whose key an earlier row may hold. STORE_OK or STORE_ERROR. */
int store_tx_import_keys_build(store_tx *tx);
/* Adds the row of aggregates (member_stats) of every member from first_id on that lacks one, in the job's
 * transaction: between store_import_begin and store_import_end the import calls it once a chunk, for the members
 * the chunk created, instead of one statement each (nothing otherwise: then each member gets its row as it is
 * inserted). STORE_OK or STORE_ERROR. */
int store_tx_import_stats_add(store_tx *tx, int64_t first_id);
/* Nested savepoints inside a job, for work that keeps what succeeded (the importer's rows). */
int store_tx_savepoint(store_tx *tx);
int store_tx_release(store_tx *tx);
int store_tx_rollback(store_tx *tx);

/* Writer statistics for /metrics: committed batches by size bucket (1, 2-7, 8-63, 64-511, 512). */
#define STORE_BATCH_BUCKETS 5
void store_writer_stats(store *s, uint64_t buckets[STORE_BATCH_BUCKETS], uint64_t *jobs, uint64_t *batches);

/* The time the steps of durable writes took since the store opened, each as a histogram, for /metrics: what an
 * answer to a write waits for (the WAL's fsync, the writer's commit and, now and then, its own copy of the WAL's
 * last frames before the WAL starts again) and the checkpointer's work beside it (docs/performance.md). */
typedef enum store_io_step {
    STORE_IO_WAL_SYNC,          /* the syncer's fsync of the WAL: every write is answered after one */
    STORE_IO_COMMIT,            /* the writer's COMMIT of a batch (its frames written into the WAL), less its own
                                 * checkpoint when the COMMIT ran one (that is the next step) */
    STORE_IO_WRITER_CHECKPOINT, /* the writer copies the WAL's last frames itself: every write waits meanwhile */
    STORE_IO_CHECKPOINT,        /* a pass of the checkpointer, copying the WAL (or what no reader holds) into the
                                 * database file; passes that SQLite answers BUSY copy nothing and are not counted */
    STORE_IO_CHECKPOINT_FLUSH,  /* the checkpointer's fdatasync of the database file, near the WAL's end */
    STORE_IO_STEPS
} store_io_step;
extern const char *const store_io_step_names[STORE_IO_STEPS];
#define STORE_IO_BUCKETS 13 /* upper bounds in store_io_bucket_seconds, the last one +Inf */
extern const double store_io_bucket_seconds[STORE_IO_BUCKETS - 1];
typedef struct store_io_histogram {
    uint64_t buckets[STORE_IO_BUCKETS]; /* the steps that took at most each bound and more than the one before */
    uint64_t sum_ns;
} store_io_histogram;
void store_io_stats(store *s, store_io_histogram out[STORE_IO_STEPS]);

/* ---- members (members.c) ---- */
typedef struct store_member_filter {
    const char *q;      /* search text (already normalised), or NULL */
    const char *kind;   /* "member" | "prospect" | NULL */
    const char *locale; /* "fa" | "en" | NULL */
    int64_t after_id;   /* cursor: only ids above this */
    int limit;
} store_member_filter;

typedef void (*store_member_cb)(const member *m, void *arg);

int store_member_get(store_reader *r, int64_t id, member *out);
/* store_member_get for an answer written as text: attributes stored in a form member_json_text may copy as they
 * are (member_attributes_text_ok) and shorter than cap go to attributes, unparsed, and out->attributes is NULL;
 * otherwise attributes is "" and out->attributes is parsed as store_member_get does. */
int store_member_get_text(store_reader *r, int64_t id, member *out, char *attributes, size_t cap);
/* Calls cb for up to f->limit members in id order; *count is how many. */
int store_member_list(store_reader *r, const store_member_filter *f, const char *phone_region, store_member_cb cb,
                      void *arg, int *count);
int store_member_count(store_reader *r, int64_t *count);
int store_tx_member_get(store_tx *tx, int64_t id, member *out);
/* The import's key: the member with this external_ref, else this phone, else this email. */
int store_tx_member_match(store_tx *tx, const member *m, member *out);
/* On STORE_CONFLICT, *field names the taken field. m->id is set on insert. */
int store_tx_member_insert(store_tx *tx, member *m, const char **field);
/* The same with the attributes given as compact JSON text (as json_dumps(JSON_COMPACT) writes m->attributes),
 * which stands for m->attributes: the import serialises them before the write, off the writer's thread. */
int store_tx_member_insert_text(store_tx *tx, member *m, const char *attributes_text, const char **field);
int store_tx_member_update(store_tx *tx, const member *m, const char **field);
/* Records consent changes between before (NULL on create) and after, with the actor's name. */
int store_tx_consent_log(store_tx *tx, const member *before, const member *after, const char *actor);
/* One recorded consent change: what store_tx_consent_log writes for a channel. */
typedef struct store_consent_event {
    int64_t member_id, at;
    const char *channel; /* "email" or "sms" */
    bool granted;
} store_consent_event;
/* The consent changes between before (NULL on create) and after, which store_tx_consent_log records, into ev
 * (room for two); returns how many. */
int store_consent_events(const member *before, const member *after, store_consent_event *ev);
/* Writes n consent changes in their order, with the actor's name, several rows a statement: a bulk import's new
 * members, for which a statement of its own was most of each row's cost. */
int store_tx_consent_log_many(store_tx *tx, const store_consent_event *ev, size_t n, const char *actor);
/* Consent history of a member as a JSON array (new reference). */
json_t *store_consent_history(store_reader *r, int64_t member_id);

/* ---- staff users, sessions, API keys (access.c) ---- */
#define STORE_USERNAME_MAX 64

typedef struct store_user {
    int64_t id;
    char username[STORE_USERNAME_MAX + 1];
    char password_hash[160];
    role role;
    bool disabled;
    int64_t locked_until;
    int64_t created_at, updated_at;
} store_user;

typedef struct store_apikey {
    int64_t id;
    char name[129];
    role role;
    uint8_t secret_hash[32];
    char created_by[96];
    int64_t created_at, revoked_at;
} store_apikey;

typedef struct store_session {
    uint8_t token_hash[32];
    int64_t user_id;
    char csrf_token[64];
    int64_t created_at, expires_at;
} store_session;

int store_user_by_name(store_reader *r, const char *username, store_user *out);
int store_user_count(store_reader *r, int64_t *count);
int store_user_each(store_reader *r, void (*cb)(const store_user *u, void *arg), void *arg);
int store_tx_user_by_name(store_tx *tx, const char *username, store_user *out);
int store_tx_user_get(store_tx *tx, int64_t id, store_user *out);
int store_tx_user_insert(store_tx *tx, store_user *u); /* STORE_CONFLICT when the username is taken */
int store_tx_user_update(store_tx *tx, const store_user *u);
/* Records a failed login at now and returns how many fell within the last window_ms. */
int store_tx_login_failed(store_tx *tx, int64_t user_id, int64_t now, int64_t window_ms, int *recent);
int store_tx_login_succeeded(store_tx *tx, int64_t user_id);
/* A live session (not expired at now) and its user. */
int store_session_get(store_reader *r, const uint8_t token_hash[32], int64_t now, store_session *s, store_user *u);
int store_tx_session_insert(store_tx *tx, const store_session *s);
int store_tx_session_delete(store_tx *tx, const uint8_t token_hash[32]);
int store_apikey_get(store_reader *r, int64_t id, store_apikey *out);
int store_apikey_each(store_reader *r, void (*cb)(const store_apikey *k, void *arg), void *arg);
int store_tx_apikey_insert(store_tx *tx, store_apikey *k);
int store_tx_apikey_get(store_tx *tx, int64_t id, store_apikey *out);
int store_tx_apikey_revoke(store_tx *tx, int64_t id, int64_t now);

/* ---- audit log (audit.c) ---- */
typedef struct store_actor {
    const char *kind; /* user | apikey | cli | system */
    int64_t id;
    const char *name;
} store_actor;

/* Takes over the references to before and after (either may be NULL). */
int store_tx_audit(store_tx *tx, const store_actor *actor, int64_t at, const char *action, const char *target_type,
                   int64_t target_id, json_t *before, json_t *after);
/* Appends up to limit entries with id above after_id (0: from the start) to items; target_type NULL for all. */
int store_audit_list(store_reader *r, const char *target_type, int64_t target_id, int64_t after_id, int limit,
                     json_t *items);

/* ---- idempotency records (idempotency.c) ---- */
#define STORE_IDEM_KEY_MAX 128

typedef struct store_idem {
    uint8_t request_hash[32];
    int status;
    char *location; /* malloc'd or NULL */
    char *body;     /* malloc'd */
} store_idem;

void store_idem_release(store_idem *i);
int store_tx_idem_get(store_tx *tx, const char *principal, const char *key, store_idem *out);
int store_tx_idem_put(store_tx *tx, const char *principal, const char *key, const store_idem *i, int64_t now);
/* Forgets records older than before (ms); idempotency keys are kept for a day. */
int store_tx_idem_purge(store_tx *tx, int64_t before);

/* ---- the points ledger (ledger.c) ---- */
typedef struct store_programme {
    char currency[4];
    int currency_minor_units;
    char points_name_en[64], points_name_fa[64];
    int64_t point_value_minor;
    int pending_days;
    char expiry_policy[16];
    int expiry_days;
    int expiry_warning_days;
    char return_policy[16];
    bool transfers_allowed;
    char time_zone[64];
    char calendar[16];
    int guard_discount_max_permille; /* campaigns' guard rails (docs/campaigns.md) */
    int guard_giveback_max_permille;
    int64_t message_cost_sms_minor, message_cost_email_minor; /* a campaign message's cost by channel */
    int64_t updated_at;
} store_programme;

typedef struct store_member_points {
    int64_t available, pending, lifetime;
    int64_t purchase_count, total_spent_minor, last_purchase_at;
    int64_t tier_id;
} store_member_points;

typedef struct store_posting {
    int64_t id, entry_id, at;
    char from_account[40], to_account[40];
    int64_t points;
    const char *kind;
    int64_t member_id, lot_id, transaction_id, redemption_id;
    const char *actor;
    json_t *explanation;          /* borrowed */
    const char *explanation_text; /* the same as compact JSON, when the caller has it: used instead */
} store_posting;

typedef struct store_lot {
    int64_t id, member_id, points, remaining, earned_at, available_at, expires_at, transaction_id;
    bool matured;
} store_lot;

#define STORE_LOTS_MAX 256 /* lots handled in one step; spending loops over steps */

int store_tx_programme_get(store_tx *tx, store_programme *out);
int store_programme_read(store_reader *r, store_programme *out);
int store_tx_programme_update(store_tx *tx, const store_programme *p);
int store_tx_member_points(store_tx *tx, int64_t member_id, store_member_points *out);
int store_member_points_read(store_reader *r, int64_t member_id, store_member_points *out);
/* Adds the deltas to the member's points aggregates. */
int store_tx_member_points_add(store_tx *tx, int64_t member_id, int64_t available, int64_t pending, int64_t lifetime);
/* Adds a purchase (count +1, spent +amount, last purchase time) or a return (count 0, spent -amount). */
int store_tx_member_purchase_add(store_tx *tx, int64_t member_id, int count, int64_t amount_minor, int64_t at);
/* What one operation adds to a member's aggregates; purchase_at counts only with purchase_count > 0. */
typedef struct store_member_delta {
    int64_t available, pending, lifetime;
    int64_t purchase_count, spent_minor, purchase_at;
} store_member_delta;
/* Adds every delta in one update of the member's aggregates (member_stats); STORE_NOTFOUND when the member has no
 * row there. */
int store_tx_member_aggregates_add(store_tx *tx, int64_t member_id, const store_member_delta *d);
struct store_member_class;
/* A purchase's one update of the member's aggregates (member_stats): the deltas as store_tx_member_aggregates_add,
 * and first_purchase_at, the scores, rfm_at and value from cls (as store_tx_member_class_set writes them), with
 * class and class_since only when class_moved. STORE_NOTFOUND when the member has no row there. */
int store_tx_member_purchase_apply(store_tx *tx, int64_t member_id, const store_member_delta *d,
                                   const struct store_member_class *cls, bool class_moved);
/* Inserts a posting (entry_id 0: a new entry of its own) and keeps club account balances. Sets p->id. */
int store_tx_posting_insert(store_tx *tx, store_posting *p);
int store_tx_lot_insert(store_tx *tx, store_lot *lot);
/* The member's lots with points left, those expiring first (never-expiring last). matured: 1 only matured,
 * 0 only pending, -1 both. transaction_id: only that purchase's lots when non-zero. */
int store_tx_lots_open(store_tx *tx, int64_t member_id, int matured, int64_t transaction_id, store_lot *out, int cap,
                       int *n);
int store_tx_lot_take(store_tx *tx, int64_t lot_id, int64_t points);
int store_tx_lots_maturing(store_tx *tx, int64_t now, store_lot *out, int cap, int *n);
int store_tx_lot_matured(store_tx *tx, int64_t lot_id);
int store_tx_lots_expiring(store_tx *tx, int64_t now, store_lot *out, int cap, int *n);
/* Lots expiring before `before` not yet warned about. */
int store_tx_lots_to_warn(store_tx *tx, int64_t now, int64_t before, store_lot *out, int cap, int *n);
int store_tx_lot_warned(store_tx *tx, int64_t lot_id, int64_t now);
/* An event for later messaging; a repeated dedupe_key is ignored. Takes over data. */
int store_tx_notice(store_tx *tx, const char *kind, int64_t member_id, json_t *data, const char *dedupe_key,
                    int64_t now);
/* The member's postings, newest first, with id below before_id (0: from the newest); appended to items. */
int store_member_postings(store_reader *r, int64_t member_id, int64_t before_id, int limit, json_t *items);

typedef struct store_txn {
    int64_t id;
    char store[65], txn_id[129];
    char type[16];
    int64_t member_id, amount_minor, occurred_at, recorded_at, original_id;
    int64_t points, points_reversed, amount_returned_minor;
    uint8_t request_hash[32];
    int status;
    char *items;       /* JSON text, malloc'd or NULL */
    char *explanation; /* JSON text, malloc'd */
    char *response;    /* malloc'd: the first answer */
} store_txn;

void store_txn_release(store_txn *t);
int store_tx_txn_by_key(store_tx *tx, const char *store, const char *txn_id, store_txn *out);
int store_tx_txn_get(store_tx *tx, int64_t id, store_txn *out);
int store_txn_read(store_reader *r, int64_t id, store_txn *out);
int store_tx_txn_insert(store_tx *tx, store_txn *t);
int store_tx_txn_returned(store_tx *tx, int64_t id, int64_t points, int64_t amount_minor);
/* Stores the first answer once it is known (it names the transaction's own id). */
int store_tx_txn_answer(store_tx *tx, int64_t id, int status, const char *response);
/* Points of a purchase's lots that expired and that no return has yet written off from club:expired. */
int store_tx_purchase_expired_open(store_tx *tx, int64_t purchase_id, int64_t *points);
/* How many purchases the member has (for a first-purchase bonus). */
int store_tx_purchase_count(store_tx *tx, int64_t member_id, int64_t *count);
/* The points rule_id gave member_id's purchases that occurred in [from_ms, to_ms), as their explanations say (a
 * purchase's grants are kept there only: see purchases.c, evaluate). */
int store_tx_purchase_rule_granted(store_tx *tx, int64_t member_id, int64_t rule_id, int64_t from_ms, int64_t to_ms,
                                   int64_t *points);

typedef struct store_event {
    int64_t id;
    char source[48], event_id[129], type[32], name[65];
    int64_t member_id, occurred_at, points;
    uint8_t request_hash[32];
    char *explanation, *response; /* malloc'd */
} store_event;

int store_tx_event_by_key(store_tx *tx, const char *source, const char *event_id, store_event *out);
int store_tx_event_insert(store_tx *tx, store_event *e);

/* Checks every ledger invariant over the whole database; appends one line per breach to problems. */
int store_verify(store_reader *r, json_t *problems);

/* ---- rewards and tiers (tiers.c, rewards.c) ---- */
#define STORE_TIERS_MAX 32          /* tiers in a programme */
#define STORE_NAME_MAX 128          /* bytes of a tier's or reward's name */
#define STORE_TEXT_MAX 2000         /* bytes of benefits and descriptions */
#define STORE_REWARD_TIERS_MAX 32   /* tiers named by one reward */
#define STORE_REDEMPTION_CODE_MAX 16

typedef struct store_tier {
    tier_rule rule;
    char name_en[STORE_NAME_MAX + 1], name_fa[STORE_NAME_MAX + 1];
    char benefits_en[STORE_TEXT_MAX + 1], benefits_fa[STORE_TEXT_MAX + 1]; /* "" for none */
    int64_t created_at, updated_at;
} store_tier;

/* A member's place in the tiers (tier_id 0: none; since and review_at 0: none). */
typedef struct store_member_tier {
    int64_t member_id, tier_id, since, review_at;
    bool erased;
} store_member_tier;

/* A member as the points engine needs it (by id, else external ref, else phone): erased or not, the points
 * aggregates and the place in the tiers, in one read. STORE_NOTFOUND when there is no such member. */
typedef struct store_member_account {
    int64_t id;
    bool erased;
    store_member_points points;
    store_member_tier tier;
} store_member_account;
int store_tx_member_account(store_tx *tx, int64_t id, const char *external_ref, const char *phone,
                            store_member_account *out);
/* The same, with the member's class columns (classes section below) from the same row into *cls: a purchase reads
 * the buyer once. */
int store_tx_member_account_class(store_tx *tx, int64_t id, const char *external_ref, const char *phone,
                                  store_member_account *out, struct store_member_class *cls);

/* The qualification rules of every tier, by rank (lowest first). */
int store_tier_rules(store_reader *r, tier_rule *out, int cap, int *n);
int store_tx_tier_rules(store_tx *tx, tier_rule *out, int cap, int *n);
/* Every tier, by rank; calls cb for each. */
int store_tier_each(store_reader *r, void (*cb)(const store_tier *t, void *arg), void *arg);
int store_tier_get(store_reader *r, int64_t id, store_tier *out);
int store_tx_tier_get(store_tx *tx, int64_t id, store_tier *out);
int store_tx_tier_count(store_tx *tx, int64_t *count);
/* STORE_CONFLICT when the rank is taken. Sets t->rule.id on insert. */
int store_tx_tier_insert(store_tx *tx, store_tier *t);
int store_tx_tier_update(store_tx *tx, const store_tier *t);
int store_member_tier_get(store_reader *r, int64_t member_id, store_member_tier *out);
int store_tx_member_tier_get(store_tx *tx, int64_t member_id, store_member_tier *out);
int store_tx_member_tier_set(store_tx *tx, const store_member_tier *mt);
int store_tx_tier_change_insert(store_tx *tx, int64_t member_id, int64_t from_tier, int64_t to_tier, int64_t at,
                                const char *reason);
/* A member's activity after `after` (ms) by basis: points earned less points reversed by returns (postings), or
 * money spent less money returned (transactions, by occurred_at). */
int store_tier_activity_sum(store_reader *r, int64_t member_id, tier_basis basis, int64_t after, int64_t *sum);
int store_tx_tier_activity_sum(store_tx *tx, int64_t member_id, tier_basis basis, int64_t after, int64_t *sum);
/* The same activity one event at a time, oldest first. */
int store_tx_tier_activity_each(store_tx *tx, int64_t member_id, tier_basis basis, int64_t after,
                                void (*cb)(int64_t at, int64_t amount, void *arg), void *arg);
/* Members not erased whose tier review date is at or before now, earliest first. */
int store_tx_tier_due(store_tx *tx, int64_t now, int64_t *ids, int cap, int *n);

typedef struct store_reward {
    int64_t id;
    char name_en[STORE_NAME_MAX + 1], name_fa[STORE_NAME_MAX + 1];
    char description_en[STORE_TEXT_MAX + 1], description_fa[STORE_TEXT_MAX + 1]; /* "" for none */
    char kind[16]; /* gift | experience | free_product | discount_code | donation */
    int64_t cost_points, cost_minor;
    bool has_stock, has_limit, has_valid_from, has_valid_until, has_tiers, active;
    int64_t stock, per_member_limit, valid_from, valid_until;
    int tier_count;
    int64_t tiers[STORE_REWARD_TIERS_MAX];
    int64_t created_at, updated_at;
} store_reward;

typedef struct store_reward_filter {
    int active;       /* 1 active only, 0 inactive only, -1 all */
    int64_t after_id; /* cursor */
    int limit;
} store_reward_filter;

int store_reward_get(store_reader *r, int64_t id, store_reward *out);
int store_tx_reward_get(store_tx *tx, int64_t id, store_reward *out);
/* Calls cb for up to f->limit rewards in id order; *count is how many. */
int store_reward_list(store_reader *r, const store_reward_filter *f, void (*cb)(const store_reward *w, void *arg),
                      void *arg, int *count);
int store_tx_reward_insert(store_tx *tx, store_reward *w); /* sets w->id */
int store_tx_reward_update(store_tx *tx, const store_reward *w);
/* Takes one from a limited stock: STORE_INVALID when none is left. Unlimited stock: STORE_OK, unchanged. */
int store_tx_reward_stock_take(store_tx *tx, int64_t reward_id, int64_t now);
/* Puts one back into a limited stock (a cancelled redemption). */
int store_tx_reward_stock_return(store_tx *tx, int64_t reward_id, int64_t now);

typedef struct store_redemption {
    int64_t id, member_id, reward_id, points;
    char status[16]; /* issued | ordered | shipped | delivered | cancelled */
    char code[STORE_REDEMPTION_CODE_MAX + 1];
    char idempotency_key[STORE_IDEM_KEY_MAX + 1];
    uint8_t request_hash[32];
    int64_t created_at, updated_at;
} store_redemption;

int store_redemption_get(store_reader *r, int64_t id, store_redemption *out);
int store_tx_redemption_get(store_tx *tx, int64_t id, store_redemption *out);
int store_tx_redemption_by_key(store_tx *tx, int64_t member_id, const char *key, store_redemption *out);
int store_tx_redemption_insert(store_tx *tx, store_redemption *d); /* sets d->id */
int store_tx_redemption_status(store_tx *tx, int64_t id, const char *status, int64_t now);
/* The member's redemptions of a reward that were not cancelled. */
int store_tx_redemption_count(store_tx *tx, int64_t member_id, int64_t reward_id, int64_t *count);
/* Calls cb for up to limit of the member's redemptions with id above after_id, in id order. */
int store_member_redemptions(store_reader *r, int64_t member_id, int64_t after_id, int limit,
                             void (*cb)(const store_redemption *d, void *arg), void *arg, int *count);
/* ---- end of rewards and tiers ---- */

/* ---- rules (rules.c): earning rules and what each gave each member, for caps ---- */
#include "core/rules.h"

typedef struct store_rule_filter {
    const char *event; /* NULL: every event */
    int active;        /* 1 active only, 0 inactive only, -1 both */
    int64_t after_id;  /* cursor: only ids above this */
    int limit;
} store_rule_filter;

/* STORE_NOTFOUND when there is no rule with this id. out must be rule_release()d on STORE_OK. */
int store_rule_get(store_reader *r, int64_t id, rule *out);
int store_tx_rule_get(store_tx *tx, int64_t id, rule *out);
/* Calls cb for up to f->limit rules in id order (the rule is released after cb); *count is how many. */
int store_rule_list(store_reader *r, const store_rule_filter *f, void (*cb)(const rule *x, void *arg), void *arg,
                    int *count);
/* Sets r->id. The definition is stored as it is (normalised by rule_apply_json). */
int store_tx_rule_insert(store_tx *tx, rule *r);
/* Every column of rule r->id; STORE_NOTFOUND when there is none. Deleting a rule is an update to active = false. */
int store_tx_rule_update(store_tx *tx, const rule *r);
/* How many active rules the event has (whatever their date window); kept at most RULES_MAX by the API. */
int store_tx_rules_active_count(store_tx *tx, const char *event, int *count);
/* The active rules of event whose date window holds at_ms (the time the event happened), by priority then id,
 * at most cap, into out[0..*n); the caller rule_release()s each. */
int store_tx_rules_for_event(store_tx *tx, const char *event, int64_t at_ms, rule *out, int cap, int *n);
/* The active rules of event, whatever their date window (rules_evaluate skips those outside it), by priority then
 * id, at most RULES_MAX: borrowed from the writer's cache, good until the job writes a rule or ends. */
int store_tx_rules_active(store_tx *tx, const char *event, const rule **out, int *n);
/* The points rule_id gave member_id with grant times in [from_ms, to_ms) (see rules_period_bounds). */
int store_tx_rule_granted(store_tx *tx, int64_t member_id, int64_t rule_id, int64_t from_ms, int64_t to_ms,
                          int64_t *points);
/* Records that rule_id gave member_id points for an event at `at` (its occurred time). */
int store_tx_rule_grant_add(store_tx *tx, int64_t member_id, int64_t rule_id, int64_t at, int64_t points);
/* ---- end of rules ---- */

/* ---- segments (segments.c) and key figures (reports.c) ---- */
#include "core/segment_filter.h"

#define STORE_SEGMENT_NAME_MAX 128
#define STORE_SEGMENT_TEXT_MAX 2000
#define STORE_SEGMENT_FILTER_MAX 16384 /* bytes of a filter as compact JSON */
#define STORE_SEGMENT_STATIC_MAX 100000 /* members in one static segment */

typedef struct store_segment {
    int64_t id;
    char name[STORE_SEGMENT_NAME_MAX + 1];
    char description[STORE_SEGMENT_TEXT_MAX + 1]; /* "" for none */
    char kind[8];                                 /* dynamic | static */
    char *filter;                                 /* compact JSON, malloc'd; NULL for a static segment */
    int64_t member_count;                         /* static segments: members in the list */
    int64_t created_at, updated_at;
} store_segment;

/* Who is in a segment: a compiled filter (dynamic) or a static segment's list; erased members never are. */
typedef struct store_segment_query {
    const segment_sql *sql; /* NULL for a static segment */
    int64_t static_id;      /* the static segment, when sql is NULL */
} store_segment_query;

void store_segment_release(store_segment *g);
int store_segment_get(store_reader *r, int64_t id, store_segment *out);
int store_tx_segment_get(store_tx *tx, int64_t id, store_segment *out);
/* Calls cb for up to limit segments with id above after_id, in id order; *count is how many. */
int store_segment_list(store_reader *r, int64_t after_id, int limit, void (*cb)(const store_segment *g, void *arg),
                       void *arg, int *count);
int store_tx_segment_insert(store_tx *tx, store_segment *g); /* sets g->id */
int store_tx_segment_update(store_tx *tx, const store_segment *g);
/* Deletes the segment and its list. */
int store_tx_segment_delete(store_tx *tx, int64_t id);
/* Replaces a static segment's list with the members named by ids (unknown or erased ones are skipped);
 * *stored is how many it now holds. */
int store_tx_segment_members_set(store_tx *tx, int64_t id, const int64_t *ids, int n, int64_t *stored);
/* The id of the member with this external reference (not erased); STORE_NOTFOUND when none. */
int store_tx_member_id_by_ref(store_tx *tx, const char *external_ref, int64_t *id);
int store_segment_count(store_reader *r, const store_segment_query *q, int64_t *count);
/* Up to limit member ids of the segment above after_id, in id order, into ids; *n is how many. */
int store_segment_member_ids(store_reader *r, const store_segment_query *q, int64_t after_id, int limit,
                             int64_t *ids, int *n);

/* Key figures (reports.c). Periods are [from, to) in ms; shop is a store's code, NULL for every store. */
typedef struct store_figures {
    int64_t members;                       /* not erased */
    int64_t buyers, repeat_buyers;         /* with 1+ and 2+ purchases (at shop) */
    int64_t active_30, active_90;          /* with a purchase (at shop) in the last 30 / 90 days */
    int64_t spend_minor;                   /* spent (at shop) less returns */
    int64_t earners, redeemers;            /* members who ever earned points; who redeemed (not cancelled) */
    int64_t points_outstanding;            /* available + pending over every member */
} store_figures;

int store_report_figures(store_reader *r, int64_t now_ms, const char *shop, store_figures *out);
/* Members by class at instant at (joined before it, not erased by then): each one's last class_changes row before
 * at, "prospect" when there is none. Calls cb once per class present. */
int store_report_classes_at(store_reader *r, int64_t at, void (*cb)(const char *cls, int64_t n, void *arg),
                            void *arg);
/* Members by class at each of the instants ends[0..n) (ascending), as store_report_classes_at would count them,
 * in one pass over the joins, erasures and class moves before ends[n - 1] rather than one pass over the members
 * per instant: counts[i * nclasses + k] for class classes[k] (classes not listed are not counted). */
int store_report_classes_series(store_reader *r, const int64_t *ends, int n, const char *const *classes, int nclasses,
                                int64_t *counts);
/* Members by class now (the class in their aggregates, member_stats), not erased. */
int store_report_classes_now(store_reader *r, void (*cb)(const char *cls, int64_t n, void *arg), void *arg);
/* How many members joined in [from, to). */
int store_report_joined(store_reader *r, int64_t from, int64_t to, int64_t *n);

/* Points that moved in [from, to), by the club account they left or reached, net of what came back: issued
 * (earned less returned), redeemed (less cancelled), expired (less written back by returns), adjusted (given less
 * taken by hand). shop limits issued to purchases and returns at that store. */
typedef struct store_points_moved {
    int64_t issued, redeemed, expired, adjusted;
    int64_t gifted; /* given from campaign and moment accounts (campaign:N, moment:N), less what came back */
} store_points_moved;

int store_report_points(store_reader *r, int64_t from, int64_t to, const char *shop, store_points_moved *out);
/* Purchases in [from, to) (at shop): how many, the money less returns in the same period, distinct buyers. */
int store_report_sales(store_reader *r, int64_t from, int64_t to, const char *shop, int64_t *count,
                       int64_t *amount_minor, int64_t *buyers);
/* ---- end of segments and key figures ---- */
/* ---- the member portal (portal.c): sign-in codes, member sessions, the message outbox ---- */
#define STORE_PORTAL_SALT_LEN 16

typedef struct store_portal_code {
    int64_t id, member_id;
    uint8_t salt[STORE_PORTAL_SALT_LEN], code_hash[32]; /* keyed BLAKE2b of the code; the code is not kept */
    char channel[8];                                    /* sms | email */
    int64_t created_at, expires_at;
    int attempts;
} store_portal_code;

typedef struct store_portal_session {
    uint8_t token_hash[32];
    int64_t member_id;
    char csrf_token[64];
    int64_t created_at, expires_at;
} store_portal_session;

/* The member's newest code usable at now: not used, not expired, fewer than attempts_max wrong tries. */
int store_tx_portal_code_live(store_tx *tx, int64_t member_id, int64_t now, int attempts_max, store_portal_code *out);
/* How many codes the member was given at or after since (the rate limit). */
int store_tx_portal_codes_since(store_tx *tx, int64_t member_id, int64_t since, int *count);
int store_tx_portal_code_insert(store_tx *tx, store_portal_code *c); /* sets c->id */
/* One more wrong try; used marks the code spent. */
int store_tx_portal_code_tried(store_tx *tx, int64_t id);
int store_tx_portal_code_used(store_tx *tx, int64_t id, int64_t now);
int store_portal_session_get(store_reader *r, const uint8_t token_hash[32], int64_t now, store_portal_session *out);
int store_tx_portal_session_insert(store_tx *tx, const store_portal_session *s);
int store_tx_portal_session_delete(store_tx *tx, const uint8_t token_hash[32]);
/* Deletes sign-in codes that expired before `before` and sessions that expired before now. */
int store_tx_portal_purge(store_tx *tx, int64_t before, int64_t now);
/* Empties the member's live messages of kind (their content is no longer wanted): those not yet sent become 'void',
 * a sent one keeps its status. Messages are written with store_outbox_enqueue. */
int store_tx_message_void(store_tx *tx, const char *kind, int64_t member_id, int64_t now);
/* The member's newest message of kind (queued, deferred or sent, not voided) still worth having at now: its data
 * (new reference) and not_after. STORE_NOTFOUND when there is none. */
int store_message_pending(store_reader *r, const char *kind, int64_t member_id, int64_t now, json_t **data,
                          int64_t *not_after);
/* ---- end of the member portal ---- */
/* ---- classes, RFM scores and value (classes.c): columns of members, history in class_changes ---- */
#include "core/classes.h"
#include "core/rfm.h"

/* A member's class and what decides it. Times in ms, 0 for NULL; scores 0 for NULL; has_value false: NULL. */
typedef struct store_member_class {
    int64_t id;
    int64_t purchase_count, total_spent_minor, first_purchase_at, last_purchase_at;
    char class_name[CLASSES_NAME_MAX];
    int64_t class_since;
    int r, f, m;
    int64_t rfm_at;
    bool has_value;
    int64_t value_minor;
} store_member_class;

/* The customers with purchases, for RFM: last purchase times, purchase counts and spend (in no set order). */
typedef struct store_class_population {
    int64_t *last, *count, *spent; /* malloc'd arrays of n */
    size_t n;
} store_class_population;

int store_class_settings_read(store_reader *r, class_settings *out);
int store_tx_class_settings_get(store_tx *tx, class_settings *out);
int store_tx_class_settings_update(store_tx *tx, const class_settings *s);
/* The settings and the cuts of the last recompute (cuts->customers 0 when there was none), in one read. */
int store_tx_class_context(store_tx *tx, class_settings *s, rfm_all_cuts *cuts);
int store_tx_rfm_cuts_set(store_tx *tx, const rfm_all_cuts *cuts, int64_t at);
int store_tx_member_class_get(store_tx *tx, int64_t member_id, store_member_class *out);
/* Up to cap members with id above after_id, in id order, into out[0..*n). */
int store_tx_member_class_page(store_tx *tx, int64_t after_id, store_member_class *out, int cap, int *n);
/* Writes first_purchase_at, the scores, rfm_at and value of member mc->id, and its class and class_since when
 * class_moved (left alone otherwise). */
int store_tx_member_class_set(store_tx *tx, const store_member_class *mc, bool class_moved);
int store_tx_class_change_insert(store_tx *tx, int64_t member_id, const char *from_class, const char *to_class,
                                 int64_t at, const char *reason);
/* The largest member id (0 when there is none). */
int store_member_id_max(store_reader *r, int64_t *out);
/* Reads the customers with purchases whose ids are in (after_id, upto_id] into p (released with
 * store_class_population_release); two readers may read two ranges at once. Turns on memory-mapped reads for
 * r: give it a reader of its own. */
int store_class_population_read(store_reader *r, int64_t after_id, int64_t upto_id, store_class_population *p);
void store_class_population_release(store_class_population *p);
/* Appends up to limit class changes of the member with id above after_id, oldest first, as JSON objects
 * {id, from, to, at, reason}. */
int store_class_history(store_reader *r, int64_t member_id, int64_t after_id, int limit, json_t *items);
/* ---- end of classes ---- */

/* ---- contacts (contacts.c) and surveys (surveys.c) ---- */
#define STORE_CONTACT_KIND_MAX 15
#define STORE_ORG_MAX 128

/* A person the club talks to who is not a member: the personal fields are a member record's (validated by
 * member_apply_json; attributes and birthday unused). */
typedef struct store_contact {
    int64_t id;
    char kind[STORE_CONTACT_KIND_MAX + 1]; /* staff | partner | sponsor | press | other */
    char organisation[STORE_ORG_MAX + 1], department[STORE_ORG_MAX + 1]; /* "" for none */
    member person;                        /* owned: store_contact_release */
} store_contact;

typedef struct store_contact_filter {
    const char *kind; /* NULL: every kind */
    int64_t after_id;
    int limit;
} store_contact_filter;

void store_contact_release(store_contact *c);
int store_contact_get(store_reader *r, int64_t id, store_contact *out);
int store_tx_contact_get(store_tx *tx, int64_t id, store_contact *out);
/* Calls cb for up to f->limit contacts in id order; *count is how many. */
int store_contact_list(store_reader *r, const store_contact_filter *f, void (*cb)(const store_contact *c, void *arg),
                       void *arg, int *count);
/* STORE_CONFLICT when external_ref is taken. Sets c->id. */
int store_tx_contact_insert(store_tx *tx, store_contact *c);
int store_tx_contact_update(store_tx *tx, const store_contact *c);
int store_tx_contact_delete(store_tx *tx, int64_t id);
/* The contact with this external_ref; STORE_NOTFOUND when none (the CSV import's key). */
int store_tx_contact_by_ref(store_tx *tx, const char *external_ref, store_contact *out);

#define STORE_SURVEY_TEXT_MAX 500
#define STORE_SURVEY_QUESTIONS_MAX 50
#define STORE_SURVEY_STRATUM_MAX 64

typedef struct store_survey {
    int64_t id;
    char title_en[STORE_SURVEY_TEXT_MAX + 1], title_fa[STORE_SURVEY_TEXT_MAX + 1];
    json_t *questions; /* owned: store_survey_release */
    int64_t opens_at, closes_at; /* 0: none */
    bool anonymous;
    int k_min;
    int target_permille;
    int reminder_days, reminder_max;
    int64_t created_at, updated_at;
} store_survey;

void store_survey_release(store_survey *s);
int store_survey_get(store_reader *r, int64_t id, store_survey *out);
int store_tx_survey_get(store_tx *tx, int64_t id, store_survey *out);
int store_survey_list(store_reader *r, int64_t after_id, int limit, void (*cb)(const store_survey *s, void *arg),
                      void *arg, int *count);
int store_tx_survey_insert(store_tx *tx, store_survey *s); /* sets s->id */
int store_tx_survey_update(store_tx *tx, const store_survey *s);
/* Whether invitations were sent for the survey (then its questions and anonymity are fixed). */
int store_tx_survey_has_waves(store_tx *tx, int64_t id, bool *yes);
/* Deletes a survey that has no invitation yet: STORE_CONFLICT when it has one. */
int store_tx_survey_delete(store_tx *tx, int64_t id);

/* Someone an audience holds: a member or a contact, with the stratum they fall in. */
typedef struct store_person {
    char kind[8]; /* member | contact */
    int64_t id;
    char stratum[STORE_SURVEY_STRATUM_MAX + 1];
} store_person;

/* The people of an audience (not erased), in id order, calling cb for each: all members ("members"), the
 * members of a class ("class", value), the contacts of a kind ("contact_kind", value; NULL value: every
 * contact). stratify_by "class" gives members their class, "kind" gives contacts their kind; else "all". */
int store_tx_audience_each(store_tx *tx, const char *audience, const char *value, const char *stratify_by,
                           void (*cb)(const store_person *p, void *arg), void *arg);
/* The class of a member not erased; STORE_NOTFOUND for an erased or unknown one. */
int store_tx_member_class(store_tx *tx, int64_t id, char *out, size_t cap);
/* Whether the person was already invited to the survey. */
int store_tx_survey_invited(store_tx *tx, int64_t survey_id, const char *person_kind, int64_t person_id, bool *yes);
int store_tx_survey_wave_insert(store_tx *tx, int64_t survey_id, const char *audience_json, const char *stratify_by,
                                int64_t seed, int64_t now, int64_t *wave_id);
int store_tx_survey_stratum_insert(store_tx *tx, int64_t wave_id, const char *stratum, int64_t population,
                                   int64_t invited);

typedef struct store_invitation {
    int64_t id, survey_id, wave_id, person_id;
    char person_kind[8];
    char stratum[STORE_SURVEY_STRATUM_MAX + 1];
    uint8_t token_hash[32];
    char channel[8];
    int64_t created_at, answered_at, last_sent_at;
    int reminders;
} store_invitation;

int store_tx_invitation_insert(store_tx *tx, store_invitation *inv); /* sets inv->id */
int store_invitation_by_token(store_reader *r, const uint8_t token_hash[32], store_invitation *out);
int store_tx_invitation_by_token(store_tx *tx, const uint8_t token_hash[32], store_invitation *out);
/* Marks it answered at `at`; STORE_CONFLICT when it already was (a reused link). */
int store_tx_invitation_answered(store_tx *tx, int64_t id, int64_t at);
/* Unanswered invitations of open surveys with reminders due at now (last sent reminder_days ago, fewer than
 * reminder_max reminders), at most cap. */
int store_tx_invitations_due(store_tx *tx, int64_t now, store_invitation *out, int cap, int *n);
/* A new token for a reminder: one more reminder sent at now. */
int store_tx_invitation_reminded(store_tx *tx, int64_t id, const uint8_t token_hash[32], int64_t now);
int store_tx_response_insert(store_tx *tx, int64_t survey_id, int64_t invitation_id, const char *stratum,
                             int64_t answered_at, const char *answers_json);
/* A survey invitation or reminder for the message outbox; strings and data borrowed. */
typedef struct store_survey_message {
    int64_t member_id, contact_id; /* exactly one is set */
    int64_t invitation_id;         /* the causing row */
    const char *channel, *destination, *locale;
    const char *subject, *body_text; /* rendered in the person's locale */
    json_t *data;                    /* {survey_id, link, ...} */
    int64_t not_after;               /* the survey's close, or 0 */
    int64_t now;
} store_survey_message;

/* Writes m to the message outbox in the caller's transaction (kind "survey_invitation"): the one place survey
 * messages reach the outbox. */
int store_tx_survey_outbox(store_tx *tx, const store_survey_message *m);

/* Coverage rows of a survey: for each stratum, population and invited (summed over waves) and answered. */
int store_survey_coverage(store_reader *r, int64_t survey_id,
                          void (*cb)(const char *stratum, int64_t population, int64_t invited, int64_t answered,
                                     void *arg),
                          void *arg);
/* Every response of a survey in id order: its stratum, day or time, and answers (borrowed for the call). */
int store_survey_responses(store_reader *r, int64_t survey_id,
                           void (*cb)(const char *stratum, int64_t answered_at, json_t *answers, void *arg),
                           void *arg);
/* ---- end of contacts and surveys ---- */

/* ---- messages (outbox.c): the one outbox of everything the club sends, over every channel ---- */
#define STORE_OUTBOX_SUBJECT_MAX 255  /* bytes: one header line once encoded */
#define STORE_OUTBOX_BODY_MAX 262144  /* bytes of each of the text and HTML bodies */
#define STORE_OUTBOX_DUE_MAX 256      /* messages the worker takes at once */

/* A message to enqueue: rendered content and where it goes. Strings and data are borrowed. */
typedef struct store_outbox_msg {
    const char *kind;        /* what caused it: portal_code, broadcast, survey_invitation, ... */
    const char *channel;     /* email | sms | inbox */
    int64_t member_id;       /* the member it is for, or 0 */
    int64_t contact_id;      /* or a contact who is not a member, or 0 */
    const char *destination; /* email address or E.164 phone; "" or NULL for the inbox */
    const char *locale;      /* fa | en */
    const char *subject;     /* email subject, inbox title; NULL for none */
    const char *body_text;   /* the text (the SMS itself); NULL for none */
    const char *body_html;   /* email only, NULL for none */
    json_t *data;            /* what the cause wants kept with it (JSON object), or NULL */
    int64_t ref_id;          /* the causing row (a portal code, a broadcast, an invitation), or 0 */
    bool transactional;      /* a code or a receipt: never capped by frequency, sent in quiet hours */
    int64_t send_at;         /* not before this time (ms); 0: at once */
    int64_t not_after;       /* not worth sending after this time (ms); 0: no limit */
    int64_t now;             /* the time of the cause (ms) */
} store_outbox_msg;

/* Writes m into the outbox as 'queued' inside the caller's write job, so the message exists exactly when its cause
 * does. Sets *id when id is not NULL. A person without an address for the channel is written all the same (the
 * worker suppresses it as no_address, so reports count it). STORE_INVALID when kind, channel or locale is missing
 * or unknown, an inbox message has no member, or a part is over its limit (nothing written). */
int store_outbox_enqueue(store_tx *tx, const store_outbox_msg *m, int64_t *id);

/* A message the worker is to deliver (malloc'd strings; store_outbox_item_release frees them). */
typedef struct store_outbox_item {
    int64_t id, member_id, contact_id, ref_id;
    char kind[48], channel[16], locale[8];
    char *destination, *subject, *body_text, *body_html;
    bool transactional;
    int attempts;
    int64_t created_at, not_after;
} store_outbox_item;

void store_outbox_item_release(store_outbox_item *it);
/* Up to cap messages due at now (queued or deferred, next attempt reached) of the listed channels (at most three),
 * oldest due first, into out; *n is how many. Only share `part` of `parts` (by member, else contact, else message;
 * parts <= 1: all). */
int store_outbox_due(store_reader *r, int64_t now, const char *const *channels, int nchannels, int part, int parts,
                     store_outbox_item *out, int cap, int *n);

/* What one delivery try came to. */
typedef struct store_outbox_outcome {
    int64_t message_id;
    const char *status;  /* sent | deferred (retry at next_attempt_at) | failed | suppressed */
    const char *reason;  /* NULL, or why (no_address, opted_out, attempts_exhausted, expired, ...) */
    const char *detail;  /* the peer's answer, for the attempt row; NULL when nothing was tried */
    int64_t at, next_attempt_at, duration_ms;
    bool attempted;      /* a try happened: counted and logged in message_attempts */
    int segments;        /* SMS parts of a sent SMS, else 0 */
    int64_t cost_minor;  /* their cost */
} store_outbox_outcome;

/* Records an outcome: the attempt row when one was made, then the status, unless the message left the live
 * statuses meanwhile (a voided code stays void). */
int store_tx_outbox_record(store_tx *tx, const store_outbox_outcome *o);
/* Broadcasts (broadcasts.c): a row, then one outbox message per recipient in the same job. */
#define STORE_BROADCAST_AUDIENCE_MAX 200000 /* recipients of one broadcast */

typedef struct store_broadcast {
    int64_t id;
    char channel[16];
    char *audience, *content; /* compact JSON, malloc'd (store_broadcast_release) */
    int64_t send_at, recipients;
    char created_by[96];
    int64_t created_at;
} store_broadcast;

void store_broadcast_release(store_broadcast *b);
int store_tx_broadcast_insert(store_tx *tx, store_broadcast *b); /* sets b->id */
int store_tx_broadcast_recipients(store_tx *tx, int64_t id, int64_t recipients);
int store_broadcast_get(store_reader *r, int64_t id, store_broadcast *out);
/* The broadcast's messages by status and reason: cb once per (status, reason or NULL) present. */
int store_broadcast_counts(store_reader *r, int64_t id,
                           void (*cb)(const char *status, const char *reason, int64_t n, void *arg), void *arg);
/* Up to limit ids of members not erased above after_id, in id order, of class cls (NULL: every member). */
int store_audience_member_ids(store_reader *r, const char *cls, int64_t after_id, int limit, int64_t *ids, int *n);
/* The member's portal inbox: delivered inbox messages (status sent) newest first, with id below before_id (0: from
 * the newest), at most limit, appended to items as {id, subject, body, received_at (ms), read}; *unread counts
 * every unread one. */
int store_inbox_list(store_reader *r, int64_t member_id, int64_t before_id, int limit, json_t *items,
                     int64_t *unread);
/* Marks the member's inbox message read (once); STORE_NOTFOUND when it is not one of theirs. */
int store_tx_inbox_read(store_tx *tx, int64_t member_id, int64_t message_id, int64_t now);
/* News (not transactional) sent to the member over channel at or after since: for frequency caps. */
int store_outbox_sent_count(store_reader *r, int64_t member_id, const char *channel, int64_t since, int64_t *n);
/* An erased member's messages: those not yet sent are suppressed (reason "erased") and every one of them loses
 * its address and what it said; the rows stay for the counts. */
int store_tx_outbox_forget_member(store_tx *tx, int64_t member_id, int64_t now);
/* A key of message_secrets (32 bytes), such as "unsubscribe". STORE_NOTFOUND when there is none. */
int store_message_secret(store_reader *r, const char *name, uint8_t out[32]);
/* ---- end of messages ---- */

/* ---- the club's money and plan (budget.c, plans.c): budget lines, costs, plans and goals, competitor notes ---- */
#define STORE_BUDGET_NOTE_MAX 500     /* bytes of a line's, a cost's or a goal's note */
#define STORE_BUDGET_LIST_MAX 1000    /* budget lines or plans read at once (one page) */
#define STORE_COMPETITOR_NAME_MAX 128
#define STORE_COMPETITOR_TEXT_MAX 2000

typedef struct store_budget_line {
    int64_t id;
    char category[16];
    char period[16]; /* "1404" or "1404-01" in the programme's calendar */
    int64_t starts_at, ends_at, planned_minor;
    char note[STORE_BUDGET_NOTE_MAX + 1];
    char created_by[130];
    int64_t created_at, updated_at;
    int64_t actual_minor; /* read: the costs of its category in [starts_at, ends_at) */
} store_budget_line;

/* A line with its actual; STORE_NOTFOUND when there is none. */
int store_tx_budget_line_get(store_tx *tx, int64_t id, store_budget_line *out);
int store_budget_line_get(store_reader *r, int64_t id, store_budget_line *out);
/* Inserts l (sets l->id); STORE_CONFLICT when its category already has a line for the period. */
int store_tx_budget_line_insert(store_tx *tx, store_budget_line *l);
int store_tx_budget_line_update(store_tx *tx, const store_budget_line *l);
int store_tx_budget_line_delete(store_tx *tx, int64_t id);
/* Whether another line (not id) of the category overlaps [from, to): *period gets its period, or "" when none. */
int store_tx_budget_line_overlap(store_tx *tx, int64_t id, const char *category, int64_t from, int64_t to,
                                 char period[16]);
/* Lines (with actuals) of category (NULL: all) lying within [from, to) (to 0: any), by start then category. */
int store_budget_lines(store_reader *r, const char *category, int64_t from, int64_t to,
                       void (*cb)(const store_budget_line *l, void *arg), void *arg);

typedef struct store_cost {
    int64_t id;
    char category[16];
    int64_t amount_minor, at;
    char source[16]; /* campaign | moment | message | manual */
    int64_t campaign_id; /* 0: none */
    char ref[64];
    char note[STORE_BUDGET_NOTE_MAX + 1];
    char actor[130];
    int64_t created_at;
} store_cost;

typedef struct store_cost_filter {
    const char *category; /* NULL: all */
    int64_t campaign_id;  /* 0: all */
    int64_t from, to;     /* [from, to) on at; to 0: no end */
    int64_t before_id;    /* 0: from the newest */
    int limit;
} store_cost_filter;

int store_tx_budget_cost_insert(store_tx *tx, store_cost *c);
/* Costs newest first (by id) as the filter says. */
int store_budget_costs(store_reader *r, const store_cost_filter *f, void (*cb)(const store_cost *c, void *arg),
                       void *arg);
/* The sum of the costs of category (NULL: all) in [from, to). */
int store_tx_budget_spent(store_tx *tx, const char *category, int64_t from, int64_t to, int64_t *sum);
int store_budget_spent(store_reader *r, const char *category, int64_t from, int64_t to, int64_t *sum);
/* Planned money of the lines (category NULL: all) lying within [from, to). */
int store_budget_planned(store_reader *r, const char *category, int64_t from, int64_t to, int64_t *sum);
/* Points the club owes its members: the sum of every member account's balance (available and pending). */
int store_budget_points_outstanding(store_reader *r, int64_t *points);
/* Each campaign (id order, at most limit): its name, state, all its costs and those in [from, to), and the
 * evaluation of its latest decision as stored (JSON text, NULL when none). */
typedef struct store_campaign_cost {
    int64_t id;
    const char *name, *state;
    int64_t cost_minor, cost_period_minor;
    const char *evaluation;
} store_campaign_cost;
int store_budget_campaigns(store_reader *r, int64_t from, int64_t to, int limit,
                           void (*cb)(const store_campaign_cost *c, void *arg), void *arg);

typedef struct store_plan {
    int64_t id;
    char title[STORE_NAME_MAX + 1];
    char horizon[16]; /* six_months | year */
    int64_t starts_at, ends_at;
    char created_by[130];
    int64_t created_at, updated_at;
} store_plan;

typedef struct store_plan_goal {
    int64_t id, plan_id;
    char metric[32];
    int64_t survey_id; /* 0: none */
    double target, baseline;
    int64_t due_at, baseline_at;
    char note[STORE_BUDGET_NOTE_MAX + 1];
    char created_by[130];
    int64_t created_at, updated_at;
} store_plan_goal;

int store_tx_plan_get(store_tx *tx, int64_t id, store_plan *out);
int store_plan_get(store_reader *r, int64_t id, store_plan *out);
int store_tx_plan_insert(store_tx *tx, store_plan *p);
int store_tx_plan_update(store_tx *tx, const store_plan *p);
/* Deletes the plan and its goals. */
int store_tx_plan_delete(store_tx *tx, int64_t id);
/* Plans by start, at most STORE_BUDGET_LIST_MAX. */
int store_plans(store_reader *r, void (*cb)(const store_plan *p, void *arg), void *arg);
int store_tx_plan_goal_get(store_tx *tx, int64_t id, store_plan_goal *out);
int store_tx_plan_goal_insert(store_tx *tx, store_plan_goal *g);
int store_tx_plan_goal_update(store_tx *tx, const store_plan_goal *g);
int store_tx_plan_goal_delete(store_tx *tx, int64_t id);
/* Goals of a plan in id order, at most limit. */
int store_plan_goals(store_reader *r, int64_t plan_id, int limit, void (*cb)(const store_plan_goal *g, void *arg), void *arg);

typedef struct store_competitor_note {
    int64_t id;
    char competitor[STORE_COMPETITOR_NAME_MAX + 1];
    char offer[STORE_COMPETITOR_TEXT_MAX + 1];
    char observed_on[11]; /* YYYY-MM-DD */
    char source[STORE_COMPETITOR_TEXT_MAX + 1];
    char written_by[130];
    int64_t created_at, updated_at;
} store_competitor_note;

int store_tx_competitor_note_get(store_tx *tx, int64_t id, store_competitor_note *out);
int store_tx_competitor_note_insert(store_tx *tx, store_competitor_note *n);
int store_tx_competitor_note_update(store_tx *tx, const store_competitor_note *n);
int store_tx_competitor_note_delete(store_tx *tx, int64_t id);
/* Notes of competitor (NULL: all), newest observation first (then newest written), at most limit, after the note
 * after_id in that order (0: from the newest). */
int store_competitor_notes(store_reader *r, const char *competitor, int64_t after_id, int limit,
                           void (*cb)(const store_competitor_note *n, void *arg), void *arg);
/* ---- end of the club's money and plan ---- */
/* ---- campaigns (campaigns.c): campaigns, their changes, waves and assignments, their grants and costs ---- */
#define STORE_CAMPAIGN_NAME_MAX 128
#define STORE_CAMPAIGN_TEXT_MAX 2000
#define STORE_CAMPAIGN_JSON_MAX 16384 /* bytes of an audience, offer or message as compact JSON */

typedef struct store_campaign {
    int64_t id;
    char name[STORE_CAMPAIGN_NAME_MAX + 1];
    char goal[STORE_CAMPAIGN_TEXT_MAX + 1];
    char metric[24];
    int metric_days;
    int64_t survey_id;                /* 0: none */
    char *audience, *offer, *message; /* compact JSON, malloc'd (store_campaign_release); message may be NULL */
    int64_t starts_at, ends_at;       /* ms; 0: none */
    int64_t budget_money_minor, budget_points, spent_money_minor, spent_points;
    char state[16];
    int holdout_share_permille;
    char created_by[96];
    int64_t created_at, updated_at;
    /* the guard rails' estimate as of guard_at (0: none yet), stored when the campaign was saved */
    int64_t guard_discount_permille, guard_giveback_permille, guard_give_max_minor, guard_revenue_minor, guard_at;
} store_campaign;

/* Who an audience holds, as the store reads it: every member, a class, or a segment (a compiled filter, or a
 * static segment's list). Erased members never are. */
typedef struct store_campaign_audience {
    const char *class_name;   /* a class, or NULL */
    store_segment_query segment; /* used when has_segment */
    bool has_segment;
} store_campaign_audience;

/* A live multiplier campaign as the purchase path needs it (the writer's cache). */
typedef struct store_campaign_multiplier {
    int64_t id, factor_permille, starts_at, ends_at; /* ends_at 0: open */
} store_campaign_multiplier;

/* A member's place in a campaign. */
typedef struct store_campaign_assignment {
    char arm[16];
    int64_t granted_at; /* 0: not yet */
    char refused[16];   /* "" when not refused */
} store_campaign_assignment;

void store_campaign_release(store_campaign *c);
int store_campaign_get(store_reader *r, int64_t id, store_campaign *out);
int store_tx_campaign_get(store_tx *tx, int64_t id, store_campaign *out);
/* Calls cb for up to limit campaigns with id above after_id (of state, unless NULL), in id order. */
int store_campaign_list(store_reader *r, const char *state, int64_t after_id, int limit,
                        void (*cb)(const store_campaign *c, void *arg), void *arg, int *count);
/* Inserts c (sets c->id) and opens its ledger account campaign:ID. */
int store_tx_campaign_insert(store_tx *tx, store_campaign *c);
/* Writes every column a person may change (not spent_*, not state); the writer's cached campaigns are forgotten. */
int store_tx_campaign_update(store_tx *tx, const store_campaign *c);
/* Stores c's guard_* estimate (as of c->guard_at) on its row. */
int store_tx_campaign_guard_set(store_tx *tx, const store_campaign *c);
/* Touches a campaign that stays in `state` (updated_at); STORE_CONFLICT when it is not in it. */
int store_tx_campaign_touch(store_tx *tx, int64_t id, const char *state, int64_t now);
/* Moves the campaign from state `from` to `to` and records the change (who, why); STORE_CONFLICT when it is no
 * longer in `from`. from NULL records the creation (to "draft") only. Callers go through campaigns_state_change. */
int store_tx_campaign_state(store_tx *tx, int64_t id, const char *from, const char *to, const char *actor,
                            const char *reason, int64_t now);
/* Appends up to limit changes of the campaign with id above after_id, oldest first, as {id, from, to, actor,
 * reason, at}. */
int store_campaign_changes(store_reader *r, int64_t campaign_id, int64_t after_id, int limit, json_t *items);
/* Adds points and money to what the campaign spent, in the caller's commit, only when neither passes its budget:
 * STORE_INVALID (nothing written) when one would. The single writer serialises every spend, so the check and the
 * addition cannot be overtaken. */
int store_tx_campaign_spend(store_tx *tx, int64_t id, int64_t points, int64_t money_minor);
int store_tx_campaign_wave_insert(store_tx *tx, int64_t campaign_id, const char *kind, const char *stratify_by,
                                  int64_t seed, int64_t audience_size, int64_t treated, int64_t control,
                                  const char *strata_json, const char *actor, int64_t now, int64_t *wave_id);
/* Assigns a member to an arm; a member already in the campaign keeps their arm (*added false). */
int store_tx_campaign_assign(store_tx *tx, int64_t campaign_id, int64_t member_id, const char *arm, int64_t wave_id,
                             const char *stratum, int64_t now, bool *added);
/* Adds to a wave's counts and records how far its assignment went: assigned_upto the last member id done, or 0 when
 * the wave is complete. */
int store_tx_campaign_wave_progress(store_tx *tx, int64_t wave_id, int64_t audience_size, int64_t treated,
                                    int64_t control, int64_t assigned_upto);
/* A launch's wave still being assigned, of a live campaign. */
typedef struct store_campaign_wave_open {
    int64_t id, campaign_id, seed, assigned_upto;
} store_campaign_wave_open;
int store_tx_campaign_waves_assigning(store_tx *tx, store_campaign_wave_open *out, int cap, int *n);
/* Up to limit member ids of the audience above after_id, in id order. */
int store_tx_campaign_audience_ids(store_tx *tx, const store_campaign_audience *a, int64_t after_id, int limit,
                                   int64_t *ids, int *n);
/* Up to limit treated members still waiting for their grant, in id order. */
int store_tx_campaign_due(store_tx *tx, int64_t campaign_id, int limit, int64_t *ids, int *n);
/* Marks a treated member's grant given at `at` (refused NULL) or refused for a reason. */
int store_tx_campaign_granted(store_tx *tx, int64_t campaign_id, int64_t member_id, int64_t at, const char *refused);
int store_tx_campaign_assignment(store_tx *tx, int64_t campaign_id, int64_t member_id,
                                 store_campaign_assignment *out);
/* Ids of live campaigns (pilot, evaluating, running) above after_id, in id order. */
int store_tx_campaigns_live(store_tx *tx, int64_t after_id, int64_t *ids, int cap, int *n);
/* Ids of campaigns in state pilot whose window ended at or before now. */
int store_tx_campaigns_pilot_ended(store_tx *tx, int64_t now, int64_t *ids, int cap, int *n);
/* The live multiplier campaigns, borrowed from the writer's cache (good until the job writes a campaign or ends). */
int store_tx_campaign_multipliers(store_tx *tx, const store_campaign_multiplier **out, int *n);
/* A row of the club's costs (category points | gifts | messages | ...; source campaign | moment | message | manual;
 * campaign_id 0 for none; ref and note may be NULL). */
int store_tx_cost_insert(store_tx *tx, const char *category, int64_t amount_minor, int64_t at, const char *source,
                         int64_t campaign_id, const char *ref, const char *note, const char *actor, int64_t now);

/* What the guard rails estimate from: the audience's size, and its purchases, spend and points earned by them
 * since `since`. */
typedef struct store_campaign_audience_stats {
    int64_t members, purchases, spend_minor, points;
} store_campaign_audience_stats;
int store_campaign_audience_stats_read(store_reader *r, const store_campaign_audience *a, int64_t since,
                                       store_campaign_audience_stats *out);
/* ---- end of campaigns ---- */
/* ---- moments (moments.c): yearly gifts on birthdays, anniversaries of joining and custom dates ---- */
#define STORE_MOMENT_NAME_MAX 200
#define STORE_MOMENT_ATTR_MAX 40      /* bytes of a custom moment's attribute key ([a-z][a-z0-9_]*) */
#define STORE_MOMENTS_ACTIVE_MAX 64   /* active moments the job serves */
#define STORE_MOMENT_GRANTS_MAX 500   /* outcomes one read returns */

typedef struct store_moment {
    int64_t id;
    char name[STORE_MOMENT_NAME_MAX + 1];
    char kind[16];                            /* birthday | anniversary | custom */
    char attribute[STORE_MOMENT_ATTR_MAX + 1]; /* custom: the attribute key; "" otherwise */
    char calendar[16];                        /* custom: the calendar of the attribute's date */
    int64_t gift_points, gift_reward_id;      /* 0: none */
    char *message;                            /* compact JSON or NULL; malloc'd (store_moment_release) */
    int send_hour, holdout_permille;
    char leap_policy[8];                      /* before | after */
    bool active;
    char created_by[96];
    int64_t created_at, updated_at;
} store_moment;

void store_moment_release(store_moment *m);
/* Sets m->id. A custom moment also gets the expression index on its attribute's month-day (members_attr_md_KEY),
 * so its job never scans the members. STORE_INVALID for an attribute key that is not [a-z][a-z0-9_]*. */
int store_tx_moment_insert(store_tx *tx, store_moment *m);
/* Writes every field but id, kind, attribute, created_*; STORE_NOTFOUND when there is no such moment. */
int store_tx_moment_update(store_tx *tx, const store_moment *m);
int store_tx_moment_get(store_tx *tx, int64_t id, store_moment *out);
int store_moment_get(store_reader *r, int64_t id, store_moment *out);
/* Calls cb for up to limit moments with id above after_id, in id order; *count is how many. */
int store_moment_list(store_reader *r, int64_t after_id, int limit, void (*cb)(const store_moment *m, void *arg),
                      void *arg, int *count);
/* The active moments, in id order, into out (store_moment_release each); *n is how many. */
int store_tx_moments_active(store_tx *tx, store_moment *out, int cap, int *n);

/* A member whose moment date has month-day md, found through an index with their time zone: for an anniversary
 * also the day of joining (created_at). */
typedef struct store_moment_candidate {
    int64_t member_id, created_at;
    char time_zone[64];
} store_moment_candidate;

/* The members of moment m whose date's month-day is md (in calendar cal for a birthday), through the moment's index
 * (members_birthday, members_joined, members_attr_md_KEY); at most cap into out, *n is how many. */
int store_tx_moment_candidates(store_tx *tx, const store_moment *m, const char *cal, int md,
                               store_moment_candidate *out, int cap, int *n);
/* A custom moment's date for the member: the attribute's text, "" when absent or not a string. */
int store_tx_moment_attribute(store_tx *tx, const store_moment *m, int64_t member_id, char *out, size_t cap);

/* The exactly-once record of one (moment, member, year). */
typedef struct store_moment_grant {
    int64_t moment_id, member_id;
    int year;
    char outcome[16];  /* granted | holdout | skipped */
    char reason[32];   /* skipped: erased | no_consent | stock; "" otherwise */
    int64_t points, redemption_id, message_id, cost_minor, at;
    char message[16];  /* queued | no_consent | none */
} store_moment_grant;

/* Whether (moment, member, year) already has its record. */
int store_tx_moment_granted(store_tx *tx, int64_t moment_id, int64_t member_id, int year, bool *granted);
/* Writes the record; STORE_CONFLICT when it exists (the gift was given already: the caller rolls back). */
int store_tx_moment_grant_insert(store_tx *tx, const store_moment_grant *g);
/* A cost of a moment (category points | gifts | messages) in the club's costs, source moment. */
int store_tx_moment_cost(store_tx *tx, int64_t moment_id, const char *category, int64_t amount_minor, int64_t at,
                         const char *ref);
/* The moment's latest outcomes, newest first, at most limit (STORE_MOMENT_GRANTS_MAX). */
int store_moment_grants(store_reader *r, int64_t moment_id, int limit,
                        void (*cb)(const store_moment_grant *g, void *arg), void *arg);
/* ---- end of moments ---- */
/* ---- webhooks for the departments (webhooks.c; docs/webhooks.md) ----
 * A subscription names a URL and a set of event types (a bit mask over the table in src/app/webhooks.c). An event
 * is written as one outbox message (channel 'webhook') per active subscription that wants it, in the commit of its
 * cause, plus a webhook_deliveries row tying the message to its subscription and event id. */
#define STORE_WEBHOOK_URL_MAX 2048
#define STORE_WEBHOOK_DESCRIPTION_MAX 500
#define STORE_WEBHOOK_SECRET_MAX 80
#define STORE_WEBHOOK_EVENT_ID_MAX 40
#define STORE_WEBHOOKS_MAX 100 /* subscriptions a club may have: each event fans out to at most this many */

typedef struct store_webhook {
    int64_t id;
    char url[STORE_WEBHOOK_URL_MAX + 1];
    uint32_t events; /* bit i: event i of webhook_events[] */
    char description[STORE_WEBHOOK_DESCRIPTION_MAX + 1];
    char secret[STORE_WEBHOOK_SECRET_MAX + 1];
    bool active;
    char created_by[131]; /* the staff name or key name */
    int64_t created_at, updated_at;
    char previous_secret[STORE_WEBHOOK_SECRET_MAX + 1]; /* the secret before the last rotation, or "" */
    int64_t previous_until;                             /* deliveries are signed with it too until then (ms) */
} store_webhook;

int store_tx_webhook_insert(store_tx *tx, store_webhook *w); /* sets w->id */
int store_tx_webhook_update(store_tx *tx, const store_webhook *w);
int store_tx_webhook_delete(store_tx *tx, int64_t id); /* STORE_NOTFOUND when there is none */
int store_tx_webhook_get(store_tx *tx, int64_t id, store_webhook *out);
int store_tx_webhook_count(store_tx *tx, int64_t *n);
/* Writes w's secret, previous_secret ("" for none), previous_until and updated_at (migration 0017); STORE_NOTFOUND
 * when there is no such subscription. */
int store_tx_webhook_set_secret(store_tx *tx, const store_webhook *w);
int store_webhook_get(store_reader *r, int64_t id, store_webhook *out);
/* Up to limit subscriptions with id above after_id, in id order: cb once each. */
int store_webhook_list(store_reader *r, int64_t after_id, int limit, void (*cb)(const store_webhook *w, void *arg),
                       void *arg);
/* Whether an active subscription wants any event of mask: the cheap question every cause asks first. */
int store_tx_webhook_wanted(store_tx *tx, uint32_t mask, bool *wanted);
/* Writes one outbox message per active subscription wanting an event of mask (at most STORE_WEBHOOKS_MAX): body is
 * the JSON text sent, type the event type, event_id its id. *n is how many. */
int store_tx_webhook_fanout(store_tx *tx, uint32_t mask, const char *type, const char *event_id, const char *body,
                            int64_t now, int *n);

/* What the delivery worker needs to send one webhook message: the subscription as it is now. */
typedef struct store_webhook_delivery {
    int64_t subscription_id;
    bool subscribed; /* false: the subscription was deleted */
    bool active;
    char event_id[STORE_WEBHOOK_EVENT_ID_MAX + 1];
    char url[STORE_WEBHOOK_URL_MAX + 1];
    char secret[STORE_WEBHOOK_SECRET_MAX + 1];
    char previous_secret[STORE_WEBHOOK_SECRET_MAX + 1]; /* "" when none */
    int64_t previous_until;                             /* sign with previous_secret too until then (ms) */
} store_webhook_delivery;

/* STORE_NOTFOUND when message_id is not a webhook delivery. */
int store_webhook_delivery_get(store_reader *r, int64_t message_id, store_webhook_delivery *out);
/* The delivery log of a subscription, newest first, ids below before_id (0: from the newest), at most limit, appended
 * to items as {id, event_id, type, status, reason, attempts, created_at, sent_at, next_attempt_at, last_attempt}. */
int store_webhook_deliveries(store_reader *r, int64_t subscription_id, int64_t before_id, int limit, json_t *items);
/* One delivery with its body and every attempt; *out NULL and STORE_NOTFOUND when there is none. */
int store_webhook_delivery_json(store_reader *r, int64_t message_id, json_t **out);
/* Writes a new outbox message for delivery message_id (same subscription, event id and body), due now; sets *id.
 * STORE_NOTFOUND when there is no such delivery or its subscription is gone. */
int store_tx_webhook_replay(store_tx *tx, int64_t message_id, int64_t now, int64_t *id);
/* ---- end of webhooks ---- */

/* ---- saved message templates (templates.c) ---- */
#define STORE_TEMPLATE_NAME_MAX 128

typedef struct store_template {
    int64_t id;
    char name[STORE_TEMPLATE_NAME_MAX + 1];
    char *content; /* compact JSON {subject, body, html}, malloc'd (store_template_release) */
    char created_by[131];
    int64_t created_at, updated_at;
} store_template;

void store_template_release(store_template *t);
int store_tx_template_insert(store_tx *tx, store_template *t); /* sets t->id; STORE_CONFLICT: the name is taken */
int store_tx_template_update(store_tx *tx, const store_template *t); /* STORE_CONFLICT, STORE_NOTFOUND */
int store_tx_template_delete(store_tx *tx, int64_t id);
int store_tx_template_get(store_tx *tx, int64_t id, store_template *out);
int store_template_get(store_reader *r, int64_t id, store_template *out);
/* Up to limit templates with id above after_id, in id order: cb once each. */
int store_template_list(store_reader *r, int64_t after_id, int limit,
                        void (*cb)(const store_template *t, void *arg), void *arg);
/* ---- end of saved message templates ---- */

/* ---- campaign pilots, evaluation and roll-out (pilots.c) ---- */
#define STORE_PILOT_STRATUM_MAX 64

/* What the pilot use cases read of a campaign. */
typedef struct store_pilot_campaign {
    int64_t id;
    char state[16];
    char metric[24];
    int metric_days;
    int64_t survey_id;     /* 0: none */
    char audience_kind[16]; /* all | class | segment */
    char audience_class[32];
    int64_t audience_segment;
    int64_t budget_money_minor, spent_money_minor;
} store_pilot_campaign;
int store_tx_pilot_campaign(store_tx *tx, int64_t id, store_pilot_campaign *out);
int store_pilot_campaign_get(store_reader *r, int64_t id, store_pilot_campaign *out);

/* The members of the campaign's audience (not erased) who have no assignment in it yet, in id order, with their
 * class. ids (n of them, in id order) replaces the audience when not NULL (a segment listed by the caller). */
int store_tx_pilot_candidates(store_tx *tx, const store_pilot_campaign *c, const int64_t *ids, size_t n,
                              void (*cb)(int64_t id, const char *cls, void *arg), void *arg);

/* How many such candidates there are (on a reader: the preview). */
int store_pilot_candidate_count(store_reader *r, const store_pilot_campaign *c, const int64_t *ids, size_t n,
                                int64_t *count);

typedef struct store_pilot_wave {
    int64_t id, campaign_id;
    const char *kind, *stratify_by, *strata_json, *actor;
    int64_t seed, audience_size, treated, control, at;
} store_pilot_wave;
int store_tx_pilot_wave_insert(store_tx *tx, store_pilot_wave *w); /* sets w->id */
/* Assignment rows for n members of one wave: ids[i] into arms[i] with strata[i] (an index into names). */
int store_tx_pilot_assign(store_tx *tx, int64_t campaign_id, int64_t wave_id, int64_t now, size_t n,
                          const int64_t *ids, const char *const *arms, const int *strata, const char (*names)[STORE_PILOT_STRATUM_MAX + 1]);
int store_tx_pilot_holdout_set(store_tx *tx, int64_t campaign_id, int permille, int64_t now);
int store_tx_pilot_decision_insert(store_tx *tx, int64_t campaign_id, const char *decision, const char *reason,
                                   const char *evaluation_json, const char *actor, int64_t now, int64_t *id);
/* The latest decision's kind ("" when none). */
int store_tx_pilot_last_decision(store_tx *tx, int64_t campaign_id, char *out, size_t cap);

/* n, sum and sum of squares of one value per member. */
typedef struct store_sums {
    int64_t n;
    double sum, sum_sq;
} store_sums;
/* The metric per member of an arm since each one's assignment (erased members left out): metric as in
 * campaigns.metric, nps_key the survey's NPS question (nps only; scores +100 / 0 / -100 per respondent, n the
 * respondents). spend: purchases less returns, also given for the incremental revenue. until: ms, the end. */
int store_pilot_arm_sums(store_reader *r, int64_t campaign_id, const char *arm, const char *metric, int metric_days,
                         int64_t survey_id, const char *nps_key, int64_t until, store_sums *out);
/* The same over the audience's history instead: each member's value over [from, until) (before any campaign),
 * for the baseline of the minimum detectable effect. Members without activity count as 0. */
int store_pilot_baseline_sums(store_reader *r, const store_pilot_campaign *c, int64_t from, int64_t until,
                              const char *nps_key, store_sums *out);
/* Planned treated and control of the campaign's waves of kind ("pilot" or "rollout"); 0 and 0 when none. */
int store_pilot_planned(store_reader *r, int64_t campaign_id, const char *kind, int64_t *treated, int64_t *control);
/* The waves (objects as in GET /campaigns/{id}/pilot), the state changes and the decisions of a campaign. */
int store_pilot_history(store_reader *r, int64_t campaign_id, json_t *waves, json_t *decisions);
/* ---- end of campaign pilots ---- */

#endif
