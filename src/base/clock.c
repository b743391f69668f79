/* The process clock: the system's real-time clock, or (tests) the number in a file. */
#include "base/clock.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char *clock_file;

void clock_use_file(const char *path)
{
    free(clock_file);
    clock_file = path && *path ? strdup(path) : NULL;
}

static int64_t clock_from_file(void)
{
    char buf[32];
    int fd = open(clock_file, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *end;
    long long v = strtoll(buf, &end, 10);
    return end == buf ? -1 : v;
}

int64_t clock_now_ms(void)
{
    if (clock_file) {
        int64_t v = clock_from_file();
        if (v >= 0)
            return v;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
