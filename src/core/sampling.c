/* Stratified sampling with a recorded seed (see sampling.h). The draw is a keyed hash rather than a stream
 * of random numbers so that the sample does not depend on the order in which the store lists people. */
#include "core/sampling.h"

#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void le64(uint64_t v, unsigned char out[8])
{
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)(v >> (8 * i));
}

/* The key of a seed: the first 16 bytes of BLAKE2b-256("bashgah.sample.v2" || seed LE). */
static void seed_key(uint64_t seed, unsigned char key[crypto_shorthash_KEYBYTES])
{
    static const char domain[] = "bashgah.sample.v2";
    unsigned char s[8], full[32];
    le64(seed, s);
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, sizeof(full));
    crypto_generichash_update(&h, (const unsigned char *)domain, sizeof(domain) - 1);
    crypto_generichash_update(&h, s, sizeof(s));
    crypto_generichash_final(&h, full, sizeof(full));
    memcpy(key, full, crypto_shorthash_KEYBYTES);
}

static uint64_t draw_with_key(const unsigned char key[crypto_shorthash_KEYBYTES], int64_t id)
{
    unsigned char msg[8], out[crypto_shorthash_BYTES];
    le64((uint64_t)id, msg);
    crypto_shorthash(out, msg, sizeof(msg), key);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | out[i];
    return v;
}

uint64_t sampling_draw(uint64_t seed, int64_t id)
{
    unsigned char key[crypto_shorthash_KEYBYTES];
    seed_key(seed, key);
    return draw_with_key(key, id);
}

/* Why SipHash-2-4 (libsodium's crypto_shorthash) for each id rather than a keyed BLAKE2b: it is a keyed
 * pseudo-random function made for short inputs, and a keyed BLAKE2b costs two compressions of 128 bytes per id
 * (the key block, then the id): measured, about 0.3 s of a draw over a million members, against a few tens of
 * milliseconds. */
void sampling_draw_all(uint64_t seed, sampling_unit *units, size_t n)
{
    unsigned char key[crypto_shorthash_KEYBYTES];
    seed_key(seed, key);
    for (size_t i = 0; i < n; i++)
        units[i].draw = draw_with_key(key, units[i].id);
}

int64_t sampling_allocate(const int64_t *sizes, int strata, int64_t want, double min_share, int64_t *alloc)
{
    if (strata < 1 || strata > SAMPLING_STRATA_MAX || want < 0 || min_share < 0 || min_share > 1)
        return -1;
    int64_t total = 0;
    for (int h = 0; h < strata; h++) {
        if (sizes[h] < 0)
            return -1;
        total += sizes[h];
    }
    if (want > total)
        want = total;
    int64_t given = 0;
    double rem[SAMPLING_STRATA_MAX];
    for (int h = 0; h < strata; h++) {
        /* exact integer floor of want * size / total; the remainder decides who gets the leftovers */
        alloc[h] = total ? (int64_t)((__int128)want * sizes[h] / total) : 0;
        rem[h] = total ? (double)((__int128)want * sizes[h] % total) / (double)total : 0;
        given += alloc[h];
    }
    for (; given < want; given++) {
        int best = -1;
        for (int h = 0; h < strata; h++)
            if (alloc[h] < sizes[h] && (best < 0 || rem[h] > rem[best]))
                best = h;
        if (best < 0)
            break;
        alloc[best]++;
        rem[best] = -1; /* one extra per stratum at most, as largest remainder gives */
    }
    int64_t sum = 0;
    for (int h = 0; h < strata; h++) {
        int64_t floor_h = (int64_t)ceil(min_share * (double)sizes[h] - 1e-9);
        if (alloc[h] < floor_h)
            alloc[h] = floor_h;
        if (alloc[h] > sizes[h])
            alloc[h] = sizes[h];
        sum += alloc[h];
    }
    return sum;
}

static int by_stratum_draw(const void *a, const void *b)
{
    const sampling_unit *x = a, *y = b;
    if (x->stratum != y->stratum)
        return x->stratum < y->stratum ? -1 : 1;
    if (x->draw != y->draw)
        return x->draw < y->draw ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static int by_id(const void *a, const void *b)
{
    const sampling_unit *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

size_t sampling_select(uint64_t seed, sampling_unit *units, size_t n, const int64_t *alloc, int strata)
{
    sampling_draw_all(seed, units, n);
    qsort(units, n, sizeof(*units), by_stratum_draw);
    size_t chosen = 0;
    int64_t taken = 0;
    int prev = 0;
    for (size_t i = 0; i < n; i++) {
        int h = units[i].stratum; /* read before the swap below moves an earlier unit here */
        if (i == 0 || h != prev)
            taken = 0;
        prev = h;
        if (h < 0 || h >= strata || taken >= alloc[h])
            continue;
        taken++;
        sampling_unit u = units[i];
        units[i] = units[chosen];
        units[chosen++] = u;
    }
    qsort(units, chosen, sizeof(*units), by_id);
    return chosen;
}
