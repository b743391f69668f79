/* Reproducible stratified random sampling for survey invitations. Each person's draw is a keyed hash (SipHash-2-4,
 * libsodium's crypto_shorthash, a fixed, portable function) of their id under a key derived from the recorded
 * seed, so the same seed over the same people gives the same sample on any machine, in any input
 * order; within each stratum the lowest draws are chosen. Allocation is proportional to each stratum's size
 * (largest remainder), raised where needed to at least a minimum share of every stratum. Pure; called by the
 * invitation use case (src/app/surveys.c). */
#ifndef BASHGAH_SAMPLING_H
#define BASHGAH_SAMPLING_H

#include <stddef.h>
#include <stdint.h>

#define SAMPLING_STRATA_MAX 64

typedef struct sampling_unit {
    int64_t id;
    int stratum; /* 0 .. strata - 1 */
    uint64_t draw; /* filled by sampling_select */
} sampling_unit;

/* How many to take from each of `strata` strata of sizes[h] people, for about `want` in all (at most the sum
 * of sizes): proportional with largest remainders (ties to the lower index), then each raised to at least
 * ceil(min_share * size), never above size. The total may exceed want when the minimum shares demand it.
 * Writes alloc[0 .. strata - 1] and returns the total, or -1 for bad arguments. */
int64_t sampling_allocate(const int64_t *sizes, int strata, int64_t want, double min_share, int64_t *alloc);

/* Each unit's draw for a seed: SipHash-2-4 of the id (8 bytes little-endian) under the seed's key (the first 16
 * bytes of BLAKE2b-256("bashgah.sample.v2" || seed little-endian)), read as a little-endian integer. */
uint64_t sampling_draw(uint64_t seed, int64_t id);

/* Sets units[i].draw = sampling_draw(seed, units[i].id) for all n, deriving the key once. */
void sampling_draw_all(uint64_t seed, sampling_unit *units, size_t n);

/* Chooses alloc[h] units of each stratum h by lowest draw (ties by id), moving the chosen to the front of
 * units in id order; returns how many were chosen. Units with a stratum outside [0, strata) are never chosen. */
size_t sampling_select(uint64_t seed, sampling_unit *units, size_t n, const int64_t *alloc, int strata);

#endif
