/* The writer's cache: the programme settings, the tiers, the active earning rules of each event (parsed), the
 * class settings and the RFM cuts, read once and kept on the write connection instead of being read (and the
 * rules' JSON parsed) for every purchase.
 *
 * Invariant: a cached entry is used only while it is known to equal the database as the current transaction
 * sees it. Every entry records the connection's generation (tx->gen) it was read at, and the generation moves
 * on whenever the data may have changed: the store functions that write the programme, a tier, a rule, the
 * class settings or the cuts bump it; so does every rollback (a rolled-back job may have written one of them
 * after the entry was read); and at the start of each write transaction PRAGMA data_version tells whether another
 * connection (the CLI, another process) committed since the last transaction, in which case everything is
 * forgotten. Inside a transaction
 * begun with BEGIN IMMEDIATE no other connection can write, so one check per transaction is enough.
 * Only the thread that owns the write connection touches it (the writer thread, or the CLI's store_run). */
#include "store/internal.h"

#include <stdlib.h>

void store_cache_forget(store_tx *tx) { tx->gen++; }

store_cache *store_cache_of(store_tx *tx)
{
    if (!tx->cache) {
        tx->cache = calloc(1, sizeof(*tx->cache));
        if (!tx->cache)
            abort(); /* out of memory */
    }
    if (tx->gen == 0)
        tx->gen = 1; /* entries use 0 for "not loaded" */
    return tx->cache;
}

int store_cache_begin(store_tx *tx)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_DATA_VERSION, "PRAGMA data_version");
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        store_cache_forget(tx);
        return store_status_of(&tx->conn, rc, "data version");
    }
    if (v != tx->data_version) {
        tx->data_version = v;
        store_cache_forget(tx);
    }
    return STORE_OK;
}

void store_cache_rules_clear(store_cache_rules *e)
{
    for (int i = 0; i < e->n; i++)
        rule_release(&e->rules[i]);
    e->n = 0;
    e->gen = 0;
}

void store_cache_free(store_tx *tx)
{
    if (!tx->cache)
        return;
    for (int i = 0; i < STORE_CACHE_EVENTS; i++)
        store_cache_rules_clear(&tx->cache->events[i]);
    free(tx->cache->multipliers);
    free(tx->cache);
    tx->cache = NULL;
}
