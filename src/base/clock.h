/* The one clock of the process. Everything that needs "now" asks here, so tests can set time:
 * with clock_use_file(), now is read from a file holding milliseconds since the Unix epoch. */
#ifndef BASHGAH_CLOCK_H
#define BASHGAH_CLOCK_H

#include <stdint.h>

/* Milliseconds since the Unix epoch, UTC. */
int64_t clock_now_ms(void);
/* Nanoseconds of the monotonic clock, for durations (never set by tests, never goes back). */
uint64_t clock_mono_ns(void);
/* Tests only: read the time from PATH from now on (NULL goes back to the system clock). */
void clock_use_file(const char *path);

#endif
