/* local_par.c — running per-instance work (start, stop, remove tasks) in parallel. Each
 * worker has its own Docker connection (a handle is not shared between threads) and no
 * event callback: events and diagnostics stay on the calling thread, which also works. */
#include <pthread.h>
#include <stdlib.h>

#include "engine/driver/local/local_internal.h"
#include "engine/base/banned.h"

struct par {
	void (*fn)(struct local *l, void *job);
	void **jobs;
	size_t n, next;
	pthread_mutex_t mu;
};

struct par_worker {
	struct par *p;
	struct local l; /* a copy of the driver with its own Docker handle, no callback */
	pthread_t th;
};

static void *par_run(void *arg)
{
	struct par_worker *w = arg;
	struct par *p = w->p;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t k = p->next < p->n ? p->next++ : p->n;
		pthread_mutex_unlock(&p->mu);
		if (k == p->n)
			return NULL;
		p->fn(&w->l, p->jobs[k]);
	}
}

void local_parallel(struct local *l, void (*fn)(struct local *l, void *job), void **jobs, size_t n)
{
	if (n == 0)
		return;
	struct par p = { fn, jobs, n, 0, PTHREAD_MUTEX_INITIALIZER };
	size_t want = n < LOCAL_MAX_PARALLEL ? n : LOCAL_MAX_PARALLEL;
	struct par_worker *w = want > 1 ? calloc(want - 1, sizeof(*w)) : NULL;
	size_t started = 0;
	/* Fewer workers (down to the calling thread alone) when a connection or a thread
	 * cannot be had. */
	for (size_t k = 0; w && k + 1 < want; k++) {
		w[k].p = &p;
		w[k].l = *l;
		w[k].l.on_event = NULL;
		if (sp_docker_open(sp_docker_socket(l->docker), &w[k].l.docker))
			break;
		if (pthread_create(&w[k].th, NULL, par_run, &w[k])) {
			sp_docker_close(w[k].l.docker);
			break;
		}
		started++;
	}
	struct par_worker self = { &p, *l, pthread_self() };
	self.l.on_event = NULL;
	(void)par_run(&self);
	for (size_t k = 0; k < started; k++) {
		pthread_join(w[k].th, NULL);
		sp_docker_close(w[k].l.docker);
	}
	pthread_mutex_destroy(&p.mu);
	free(w);
}
