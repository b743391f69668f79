/* Thread names (see thread.h). */
#include "base/thread.h"

#include <stdio.h>

void thread_name(pthread_t t, const char *role, int index)
{
    char name[16];
    if (index >= 0)
        snprintf(name, sizeof(name), "bashgah-%s%u", role, (unsigned)index % 100u);
    else
        snprintf(name, sizeof(name), "bashgah-%s", role);
    pthread_setname_np(t, name);
}
