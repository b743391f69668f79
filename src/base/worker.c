/* The worker pool: a mutex-protected FIFO and a fixed set of threads. */
#include "base/worker.h"

#include <pthread.h>
#include <stdlib.h>

#include "base/thread.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static worker_job *head, *tail;
static int queued, running, stopping;
static pthread_t *threads;

static void *worker_main(void *arg)
{
    pthread_mutex_lock(&lock);
    for (;;) {
        while (!head && !stopping)
            pthread_cond_wait(&wake, &lock);
        if (!head)
            break;
        worker_job *job = head;
        head = job->next;
        if (!head)
            tail = NULL;
        queued--;
        pthread_mutex_unlock(&lock);
        job->next = NULL;
        job->work(job);
        job->done(job);
        pthread_mutex_lock(&lock);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

int worker_start(int n)
{
    if (running)
        return 0;
    threads = calloc(n, sizeof(*threads));
    stopping = 0;
    for (int i = 0; i < n; i++) {
        if (pthread_create(&threads[i], NULL, worker_main, NULL) != 0)
            return -1;
        thread_name(threads[i], "work", i);
    }
    running = n;
    return 0;
}

int worker_stopping(void) { return __atomic_load_n(&stopping, __ATOMIC_ACQUIRE); }

void worker_stop(void)
{
    pthread_mutex_lock(&lock);
    __atomic_store_n(&stopping, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < running; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    threads = NULL;
    running = 0;
}

int worker_submit(worker_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&lock);
    int ok = running && !stopping && queued < WORKER_QUEUE_MAX;
    if (ok) {
        if (tail)
            tail->next = job;
        else
            head = job;
        tail = job;
        queued++;
        pthread_cond_signal(&wake);
    }
    pthread_mutex_unlock(&lock);
    return ok ? 0 : -1;
}
