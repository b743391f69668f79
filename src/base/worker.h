/* A small pool of threads for slow CPU work that must not stall an event loop (argon2id password checks take
 * about 0.1-0.2 s each). Jobs wait in one bounded queue; each job's done() runs on the worker thread after its
 * work and must only hand the job back to its owner. The pool also bounds how many such checks run at once. */
#ifndef BASHGAH_WORKER_H
#define BASHGAH_WORKER_H

#define WORKER_QUEUE_MAX 256

typedef struct worker_job {
    void (*work)(struct worker_job *job);
    void (*done)(struct worker_job *job);
    struct worker_job *next; /* private */
} worker_job;

/* Starts threads (once per process); 0 or -1. */
int worker_start(int threads);
/* Finishes queued jobs and ends the threads. */
void worker_stop(void);
/* True once worker_stop has begun: a long job checks it between its steps and ends early. */
int worker_stopping(void);
/* Queues a job; -1 when the queue is full or the pool is not running. */
int worker_submit(worker_job *job);

#endif
