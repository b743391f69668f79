/* Requests that wait for another thread (the writer, the worker pool), and offloading slow CPU work.
 * Invariant: a pending record and its request's pool slot point at each other until either the work finishes
 * (the record detaches) or the request is freed (the slot clears the record's request), whichever comes first;
 * both happen on the request's loop thread, so no lock is needed. */
#include <stdlib.h>

#include "base/worker.h"
#include "http/http.h"

static void on_request_dispose(void *p)
{
    http_pending **slot = p;
    if (*slot)
        (*slot)->r = NULL;
}

void http_pending_attach(http_pending *p, http_request *r)
{
    p->r = r;
    p->slot = h2o_mem_alloc_shared(&r->req->pool, sizeof(*p->slot), on_request_dispose);
    *p->slot = p;
    r->thread->pending++;
}

http_request *http_pending_finish(http_pending *p, http_thread *t)
{
    t->pending--;
    http_request *r = p->r;
    if (r)
        *p->slot = NULL;
    p->r = NULL;
    return r;
}

void http_pending_cancel(http_pending *p, http_thread *t) { http_pending_finish(p, t); }

typedef struct offload {
    worker_job job;
    h2o_multithread_message_t msg;
    http_thread *thread;
    http_pending pending;
    void (*work)(void *arg);
    void (*then)(http_request *r, void *arg);
    void *arg;
    void (*arg_free)(void *arg);
} offload;

static void offload_work(worker_job *job)
{
    offload *o = H2O_STRUCT_FROM_MEMBER(offload, job, job);
    o->work(o->arg);
}

static void offload_done(worker_job *job)
{
    offload *o = H2O_STRUCT_FROM_MEMBER(offload, job, job);
    h2o_multithread_send_message(&o->thread->offload_done, &o->msg);
}

static void offload_free(offload *o)
{
    if (o->arg_free)
        o->arg_free(o->arg);
    free(o);
}

static void on_offload_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *msg = H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&msg->link);
        offload *o = H2O_STRUCT_FROM_MEMBER(offload, msg, msg);
        http_request *r = http_pending_finish(&o->pending, o->thread);
        if (r) {
            o->then(r, o->arg); /* then() owns arg from here */
            free(o);
        } else {
            offload_free(o);
        }
    }
}

void http_offload_thread_init(http_thread *t)
{
    h2o_multithread_register_receiver(t->ctx.queue, &t->offload_done, on_offload_messages);
}

void http_offload(http_request *r, void (*work)(void *arg), void (*then)(http_request *r, void *arg), void *arg,
                  void (*arg_free)(void *arg))
{
    offload *o = calloc(1, sizeof(*o));
    o->job.work = offload_work;
    o->job.done = offload_done;
    o->thread = r->thread;
    o->work = work;
    o->then = then;
    o->arg = arg;
    o->arg_free = arg_free;
    http_pending_attach(&o->pending, r);
    if (worker_submit(&o->job) != 0) {
        http_pending_cancel(&o->pending, r->thread);
        offload_free(o);
        h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("1"));
        http_reply_problem(r, 503, "unavailable", "the server is busy; try again shortly", NULL);
    }
}
