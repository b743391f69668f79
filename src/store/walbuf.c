/* The write connection's VFS: SQLite's own (unix) VFS with the writes to the WAL file gathered into one write per
 * transaction. SQLite writes each WAL frame as two calls, its 24-byte header and then its page, so a batch of
 * purchases that dirties a thousand pages costs two thousand pwrite calls (about a third of the writer's time when
 * measured); here the frames are appended to a buffer and written with one call when the commit frame is in.
 *
 * Invariant: no byte of a committed transaction stays in the buffer once its commit frame is written, so the
 * WAL file holds a commit before SQLite publishes it to other connections (the WAL-index header in shared memory,
 * updated after the last frame) and before the syncer's fsync that answers it. The commit frame is known by its
 * header: the database size in pages after the commit (bytes 4-7) is non-zero only there. Any other use of the
 * file (read, sync, size, truncate, lock, close, a write elsewhere) first writes what is buffered, so SQLite reads
 * its own frames back unchanged, mid-transaction ones included. Files other than the WAL pass straight through.
 * Used by the writer's connection only (store_open); readers, the checkpointer and the CLI's other connections
 * open with the default VFS, on the same files and locks (the unix VFS underneath is the same).
 *
 * The statement journal (SQLITE_OPEN_SUBJOURNAL: the pages each job's savepoint may have to restore) is kept in
 * memory here instead of a temporary file: SQLite opens it through this VFS from its first page (sqlite.c sets
 * SQLITE_CONFIG_STMTJRNL_SPILL to 0; otherwise it would keep the first 64 KiB in its own memory). It lives in one buffer that grows to the largest job's journal; SQLite rewrites it from the start for
 * each job and closes it at the end of the transaction, and the buffer then waits for the next one (spare_buf). */
#include "store/internal.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define WALBUF_BYTES (1 << 20) /* buffered WAL bytes before a write is forced: about 250 frames of 4 KiB */
#define WAL_FRAME_HEADER_BYTES 24
/* The most one write call hands to the unix VFS: it writes at most 0x1ffff bytes a call (the count's low 17
 * bits), and a count whose low 17 bits are all zero would write nothing and fail as "disk full". */
#define WALBUF_CALL_BYTES 0x1f000

typedef struct walbuf_file {
    sqlite3_file base;  /* pMethods: walbuf_methods */
    sqlite3_file *real; /* the unix VFS's file, in the same allocation, after this struct */
    bool is_wal;
    bool commit_page_next; /* the last write was a commit frame's header: its page ends the transaction */
    char *buf;
    size_t len;
    sqlite3_int64 start; /* file offset of buf[0] */
    /* a statement journal (methods: mem_methods): mem_len bytes of mem_cap in mem; real is not opened */
    char *mem;
    size_t mem_len, mem_cap;
} walbuf_file;

/* A statement journal's buffer between two transactions (its capacity in spare_cap), kept up to SPARE_MAX_BYTES. */
#define SPARE_MAX_BYTES (64u << 20)
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static char *spare_buf;
static size_t spare_cap;

static sqlite3_vfs walbuf_vfs;

static sqlite3_file *real_of(sqlite3_file *f) { return ((walbuf_file *)f)->real; }

static int walbuf_flush(walbuf_file *w)
{
    int rc = SQLITE_OK;
    for (size_t done = 0; done < w->len && rc == SQLITE_OK; done += WALBUF_CALL_BYTES) {
        size_t n = w->len - done < WALBUF_CALL_BYTES ? w->len - done : WALBUF_CALL_BYTES;
        rc = w->real->pMethods->xWrite(w->real, w->buf + done, (int)n, w->start + (sqlite3_int64)done);
    }
    w->len = 0;
    return rc;
}

static int walbuf_close(sqlite3_file *f)
{
    walbuf_file *w = (walbuf_file *)f;
    int rc = walbuf_flush(w);
    int rc_close = w->real->pMethods->xClose(w->real);
    free(w->buf);
    w->buf = NULL;
    return rc != SQLITE_OK ? rc : rc_close;
}

static int walbuf_read(sqlite3_file *f, void *data, int amt, sqlite3_int64 off)
{
    int rc = walbuf_flush((walbuf_file *)f);
    return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xRead(real_of(f), data, amt, off);
}

static bool is_commit_header(const void *data, int amt)
{
    const unsigned char *h = data;
    return amt == WAL_FRAME_HEADER_BYTES && (h[4] | h[5] | h[6] | h[7]) != 0;
}

static int walbuf_write(sqlite3_file *f, const void *data, int amt, sqlite3_int64 off)
{
    walbuf_file *w = (walbuf_file *)f;
    if (!w->is_wal)
        return w->real->pMethods->xWrite(w->real, data, amt, off);
    int rc = SQLITE_OK;
    if (w->len > 0 && (off != w->start + (sqlite3_int64)w->len || w->len + (size_t)amt > WALBUF_BYTES))
        rc = walbuf_flush(w);
    if (rc != SQLITE_OK)
        return rc;
    if (!w->buf)
        w->buf = malloc(WALBUF_BYTES);
    if (!w->buf || amt > WALBUF_CALL_BYTES) {
        w->commit_page_next = false;
        return w->real->pMethods->xWrite(w->real, data, amt, off);
    }
    if (w->len == 0)
        w->start = off;
    memcpy(w->buf + w->len, data, (size_t)amt);
    w->len += (size_t)amt;
    if (w->commit_page_next) {
        w->commit_page_next = false;
        return walbuf_flush(w); /* the commit frame is whole: the transaction goes to the file now */
    }
    w->commit_page_next = is_commit_header(data, amt);
    return SQLITE_OK;
}

static int walbuf_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    int rc = walbuf_flush((walbuf_file *)f);
    return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xTruncate(real_of(f), size);
}

static int walbuf_sync(sqlite3_file *f, int flags)
{
    int rc = walbuf_flush((walbuf_file *)f);
    return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xSync(real_of(f), flags);
}

static int walbuf_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    int rc = walbuf_flush((walbuf_file *)f);
    return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xFileSize(real_of(f), size);
}

static int walbuf_lock(sqlite3_file *f, int level)
{
    int rc = walbuf_flush((walbuf_file *)f);
    return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xLock(real_of(f), level);
}

static int walbuf_unlock(sqlite3_file *f, int level)
{
    int rc = walbuf_flush((walbuf_file *)f);
    return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xUnlock(real_of(f), level);
}

static int walbuf_check_reserved(sqlite3_file *f, int *out)
{
    return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}

static int walbuf_file_control(sqlite3_file *f, int op, void *arg)
{
    int rc = walbuf_flush((walbuf_file *)f);
    return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}

static int walbuf_sector_size(sqlite3_file *f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }

static int walbuf_device(sqlite3_file *f) { return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f)); }

static int walbuf_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **out)
{
    return real_of(f)->pMethods->xShmMap(real_of(f), region, size, extend, out);
}

static int walbuf_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}

static void walbuf_shm_barrier(sqlite3_file *f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }

static int walbuf_shm_unmap(sqlite3_file *f, int delete_flag)
{
    return real_of(f)->pMethods->xShmUnmap(real_of(f), delete_flag);
}

static int walbuf_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **out)
{
    return real_of(f)->pMethods->xFetch(real_of(f), off, amt, out);
}

static int walbuf_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
}

static const sqlite3_io_methods walbuf_methods = {
    .iVersion = 3,
    .xClose = walbuf_close,
    .xRead = walbuf_read,
    .xWrite = walbuf_write,
    .xTruncate = walbuf_truncate,
    .xSync = walbuf_sync,
    .xFileSize = walbuf_file_size,
    .xLock = walbuf_lock,
    .xUnlock = walbuf_unlock,
    .xCheckReservedLock = walbuf_check_reserved,
    .xFileControl = walbuf_file_control,
    .xSectorSize = walbuf_sector_size,
    .xDeviceCharacteristics = walbuf_device,
    .xShmMap = walbuf_shm_map,
    .xShmLock = walbuf_shm_lock,
    .xShmBarrier = walbuf_shm_barrier,
    .xShmUnmap = walbuf_shm_unmap,
    .xFetch = walbuf_fetch,
    .xUnfetch = walbuf_unfetch,
};

/* ---- the statement journal in memory ---- */

static int mem_close(sqlite3_file *f)
{
    walbuf_file *w = (walbuf_file *)f;
    pthread_mutex_lock(&spare_lock);
    if (!spare_buf && w->mem_cap <= SPARE_MAX_BYTES) {
        spare_buf = w->mem;
        spare_cap = w->mem_cap;
        w->mem = NULL;
    }
    pthread_mutex_unlock(&spare_lock);
    free(w->mem);
    w->mem = NULL;
    w->mem_len = w->mem_cap = 0;
    return SQLITE_OK;
}

static int mem_read(sqlite3_file *f, void *data, int amt, sqlite3_int64 off)
{
    walbuf_file *w = (walbuf_file *)f;
    size_t have = off < 0 || (size_t)off >= w->mem_len ? 0 : w->mem_len - (size_t)off;
    size_t n = have < (size_t)amt ? have : (size_t)amt;
    if (n > 0)
        memcpy(data, w->mem + off, n);
    if (n == (size_t)amt)
        return SQLITE_OK;
    memset((char *)data + n, 0, (size_t)amt - n); /* SQLite's contract for a short read */
    return SQLITE_IOERR_SHORT_READ;
}

static int mem_write(sqlite3_file *f, const void *data, int amt, sqlite3_int64 off)
{
    walbuf_file *w = (walbuf_file *)f;
    if (off < 0 || amt < 0)
        return SQLITE_IOERR_WRITE;
    size_t end = (size_t)off + (size_t)amt;
    if (end > w->mem_cap) {
        size_t cap = w->mem_cap ? w->mem_cap : 256u << 10;
        while (cap < end)
            cap *= 2;
        char *grown = realloc(w->mem, cap);
        if (!grown)
            return SQLITE_IOERR_NOMEM;
        w->mem = grown;
        w->mem_cap = cap;
    }
    if ((size_t)off > w->mem_len)
        memset(w->mem + w->mem_len, 0, (size_t)off - w->mem_len);
    memcpy(w->mem + off, data, (size_t)amt);
    if (end > w->mem_len)
        w->mem_len = end;
    return SQLITE_OK;
}

static int mem_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    walbuf_file *w = (walbuf_file *)f;
    if (size >= 0 && (size_t)size < w->mem_len)
        w->mem_len = (size_t)size;
    return SQLITE_OK;
}

static int mem_sync(sqlite3_file *f, int flags)
{
    (void)f;
    (void)flags;
    return SQLITE_OK;
}

static int mem_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    *size = (sqlite3_int64)((walbuf_file *)f)->mem_len;
    return SQLITE_OK;
}

static int mem_lock(sqlite3_file *f, int level)
{
    (void)f;
    (void)level;
    return SQLITE_OK;
}

static int mem_check_reserved(sqlite3_file *f, int *out)
{
    (void)f;
    *out = 0;
    return SQLITE_OK;
}

static int mem_file_control(sqlite3_file *f, int op, void *arg)
{
    (void)f;
    (void)op;
    (void)arg;
    return SQLITE_NOTFOUND;
}

static int mem_sector_size(sqlite3_file *f)
{
    (void)f;
    return 4096;
}

static int mem_device(sqlite3_file *f)
{
    (void)f;
    return SQLITE_IOCAP_SAFE_APPEND | SQLITE_IOCAP_SEQUENTIAL | SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

static const sqlite3_io_methods mem_methods = {
    .iVersion = 1,
    .xClose = mem_close,
    .xRead = mem_read,
    .xWrite = mem_write,
    .xTruncate = mem_truncate,
    .xSync = mem_sync,
    .xFileSize = mem_file_size,
    .xLock = mem_lock,
    .xUnlock = mem_lock,
    .xCheckReservedLock = mem_check_reserved,
    .xFileControl = mem_file_control,
    .xSectorSize = mem_sector_size,
    .xDeviceCharacteristics = mem_device,
};

static int walbuf_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    sqlite3_vfs *under = vfs->pAppData;
    walbuf_file *w = (walbuf_file *)f;
    memset(w, 0, sizeof(*w));
    if (flags & SQLITE_OPEN_SUBJOURNAL) {
        pthread_mutex_lock(&spare_lock);
        w->mem = spare_buf;
        w->mem_cap = spare_cap;
        spare_buf = NULL;
        spare_cap = 0;
        pthread_mutex_unlock(&spare_lock);
        if (out_flags)
            *out_flags = flags;
        w->base.pMethods = &mem_methods;
        return SQLITE_OK;
    }
    w->real = (sqlite3_file *)(w + 1);
    int rc = under->xOpen(under, name, w->real, flags, out_flags);
    if (rc != SQLITE_OK || !w->real->pMethods || w->real->pMethods->iVersion < 3) {
        if (rc == SQLITE_OK) /* a VFS this code does not know: never half-wrap it */
            w->real->pMethods->xClose(w->real);
        return rc == SQLITE_OK ? SQLITE_CANTOPEN : rc;
    }
    w->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
    w->base.pMethods = &walbuf_methods;
    return SQLITE_OK;
}

static int walbuf_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    sqlite3_vfs *under = vfs->pAppData;
    return under->xDelete(under, name, sync_dir);
}

static int walbuf_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    sqlite3_vfs *under = vfs->pAppData;
    return under->xAccess(under, name, flags, out);
}

static int walbuf_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    sqlite3_vfs *under = vfs->pAppData;
    return under->xFullPathname(under, name, n, out);
}

static void walbuf_register(void)
{
    sqlite3_vfs *under = sqlite3_vfs_find(NULL);
    if (!under)
        return;
    walbuf_vfs = *under; /* time, randomness, sleep and dynamic loading as the default VFS */
    walbuf_vfs.iVersion = under->iVersion < 2 ? under->iVersion : 2; /* no system-call overrides */
    walbuf_vfs.szOsFile = (int)sizeof(walbuf_file) + under->szOsFile;
    walbuf_vfs.pNext = NULL;
    walbuf_vfs.zName = STORE_WALBUF_VFS;
    walbuf_vfs.pAppData = under;
    walbuf_vfs.xOpen = walbuf_open;
    walbuf_vfs.xDelete = walbuf_delete;
    walbuf_vfs.xAccess = walbuf_access;
    walbuf_vfs.xFullPathname = walbuf_full_pathname;
    if (sqlite3_vfs_register(&walbuf_vfs, 0) != SQLITE_OK)
        walbuf_vfs.zName = NULL;
}

const char *store_walbuf_vfs(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, walbuf_register);
    return walbuf_vfs.zName;
}
