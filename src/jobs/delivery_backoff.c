/* The retry and quiet-hours policy of the delivery worker, pure so it is unit-tested alone
 * (tests/unit/test_delivery_backoff.c). */
#include "jobs/delivery.h"

int64_t delivery_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms, uint32_t random)
{
    if (attempt < 1)
        attempt = 1;
    if (base_ms < 1)
        base_ms = 1;
    int64_t wait = base_ms;
    for (int i = 1; i < attempt && wait < max_ms; i++)
        wait *= 2; /* stops doubling at the cap, so it never overflows */
    if (wait > max_ms)
        wait = max_ms;
    int64_t half = wait / 2;
    return wait - half + (int64_t)(random % (uint64_t)(half + 1));
}

bool delivery_quiet_hour(int h, int from, int to)
{
    if (from == to)
        return false;
    return from < to ? h >= from && h < to : h >= from || h < to;
}
