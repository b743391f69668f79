/* Logging through one function with a level: key=value lines on stderr.
 * Used by the server, the jobs and the CLI; library code never prints otherwise. */
#ifndef BASHGAH_LOG_H
#define BASHGAH_LOG_H

enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* The least level written (default LOG_INFO). */
void log_set_level(int level);
/* Writes "ts=... level=... event=EVENT " followed by the formatted key=value fields. */
void log_msg(int level, const char *event, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
