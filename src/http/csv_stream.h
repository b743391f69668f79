/* A streamed CSV answer of members (the member export's format, member_csv_format): each time h2o asks for
 * more, the caller's page function appends the next page of lines on the loop thread's reader into one reused
 * buffer. Serves GET /api/v1/members/export and GET /api/v1/segments/{id}/export. */
#ifndef BASHGAH_HTTP_CSV_STREAM_H
#define BASHGAH_HTTP_CSV_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/member.h"
#include "http/http.h"

#define CSV_STREAM_PAGE_ROWS 1000

typedef struct csv_stream csv_stream;

/* Appends the next page with csv_stream_member; sets *more when a full page was read (there may be more).
 * A status other than STORE_OK cuts the answer, so the client never takes a short file for a whole one. */
typedef int (*csv_stream_page_fn)(csv_stream *s, bool *more);

struct csv_stream {
    h2o_generator_t super; /* first: h2o hands it back to the callbacks */
    http_request *r;
    csv_stream_page_fn page;
    void (*dispose)(csv_stream *s); /* frees what the caller keeps in state, or NULL */
    const char *what;               /* names the export in the log */
    int64_t last_id;                /* the last member written: where the next page starts */
    bool header_sent;
    char *buf; /* one page of lines, reused: h2o is done with it when it calls proceed again */
    size_t len, cap;
    void *state; /* the caller's state_size bytes, zeroed */
};

/* A stream in the request's pool (freed with it, dispose first). */
csv_stream *csv_stream_new(http_request *r, const char *what, size_t state_size, csv_stream_page_fn page,
                           void (*dispose)(csv_stream *s));
/* Sends the headers (a download called filename) and the first page. */
void csv_stream_begin(csv_stream *s, const char *filename);
/* Appends m's line and remembers its id. */
void csv_stream_member(csv_stream *s, const member *m);

#endif
