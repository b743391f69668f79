/* How long the steps of durable writes take (store_io_step in store.h), for /metrics. Each step's histogram is
 * written by one thread only (the writer, the syncer or the checkpointer) and read by any other while it runs: its
 * fields are updated and read with relaxed atomics, so a reader may see a bucket one step ahead of the sum, never
 * a torn value; the count is the buckets' total. */
#include "store/internal.h"

#include "base/clock.h"

const char *const store_io_step_names[STORE_IO_STEPS] = {"wal_sync", "commit", "writer_checkpoint", "checkpoint",
                                                         "checkpoint_flush"};
/* From an fsync of a quiet disk (well under a millisecond) to a checkpoint's flush behind a sustained load. */
const double store_io_bucket_seconds[STORE_IO_BUCKETS - 1] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                              0.05,   0.1,   0.25,   0.5,   1,    2.5};

void store_io_record(store *s, store_io_step step, uint64_t start_ns)
{
    uint64_t now = clock_mono_ns(), ns = now > start_ns ? now - start_ns : 0;
    store_io_histogram *h = &s->io[step];
    int b = 0;
    while (b < STORE_IO_BUCKETS - 1 && (double)ns > store_io_bucket_seconds[b] * 1e9)
        b++;
    __atomic_fetch_add(&h->buckets[b], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->sum_ns, ns, __ATOMIC_RELAXED);
}

void store_io_stats(store *s, store_io_histogram out[STORE_IO_STEPS])
{
    for (int i = 0; i < STORE_IO_STEPS; i++) {
        for (int b = 0; b < STORE_IO_BUCKETS; b++)
            out[i].buckets[b] = __atomic_load_n(&s->io[i].buckets[b], __ATOMIC_RELAXED);
        out[i].sum_ns = __atomic_load_n(&s->io[i].sum_ns, __ATOMIC_RELAXED);
    }
}
