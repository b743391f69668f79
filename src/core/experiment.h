/* The draws of a campaign's field study: a pilot and its control group from the same strata, and later the
 * roll-out with its long-lived holdout. Each person's place in their stratum is their keyed draw
 * (sampling_draw_all: the survey sampling's hash, so a recorded seed repeats the draw on any machine, in any
 * input order); within each stratum the first a[h] by draw go to arm A, the next b[h] to arm B, the rest to
 * none, so the two arms never overlap. Those already assigned in the campaign are left out by the caller
 * (later waves). Pure; called by src/app/pilots.c and the bench. */
#ifndef BASHGAH_CORE_EXPERIMENT_H
#define BASHGAH_CORE_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/sampling.h"

enum { EXPERIMENT_NONE = 0, EXPERIMENT_A = 1, EXPERIMENT_B = 2 };

/* Why an allocation is refused: the field to name. */
enum { EXPERIMENT_OK = 0, EXPERIMENT_BAD_SAMPLE = -1, EXPERIMENT_BAD_CONTROL = -2, EXPERIMENT_BAD_ARGS = -3 };

/* How many of each stratum go to arm A (about want_a in all, proportional to sizes by largest remainder) and to
 * arm B (about want_b, proportional to what arm A left of each stratum). want_a above the total is
 * EXPERIMENT_BAD_SAMPLE; want_a + want_b above it EXPERIMENT_BAD_CONTROL (the control would overlap). */
int experiment_allocate(const int64_t *sizes, int strata, int64_t want_a, int64_t want_b, int64_t *a, int64_t *b);

/* A count from a share of a total: ceil(share * total), at most the total. */
int64_t experiment_share_count(double share, int64_t total);

/* Draws with seed: groups units by stratum (units with a stratum outside [0, strata) last, with no arm) and sets
 * arm[i] (for the reordered units[i]) to EXPERIMENT_A for the first a[h] of each stratum h in the draw order (lower
 * draw first, ties by id), EXPERIMENT_B for the next b[h], else EXPERIMENT_NONE; within a stratum the A come first,
 * then the B, then the rest, each group in no set order. counts[0..2] (may be NULL) receive how many of each. */
void experiment_draw(uint64_t seed, sampling_unit *units, size_t n, int strata, const int64_t *a, const int64_t *b,
                     unsigned char *arm, int64_t counts[3]);

#endif
