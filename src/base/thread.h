/* Thread names: what top -H and ps -L show for each of the server's threads. */
#ifndef BASHGAH_THREAD_H
#define BASHGAH_THREAD_H

#include <pthread.h>

/* Names t "bashgah-ROLE", or "bashgah-ROLEN" with N = index % 100 when index >= 0. Linux keeps 15 bytes of a
 * name: a role is at most 5 bytes when numbered, 7 when not. */
void thread_name(pthread_t t, const char *role, int index);

#endif
