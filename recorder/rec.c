/*
 * rec.c: the recording state and the threads' state (see rec.h).  A thread's ring is tied to the
 * thread with a pthread key, whose destructor hands the ring back when the thread exits.
 */
#include "rec.h"

#include <pthread.h>

#include "ring.h"

_Atomic int rec_status = REC_START;
__thread rec_thread rec_tls;

static _Atomic int failed_once;
static pthread_key_t ring_key;

void rec_disable(void) { rec_set_state(REC_OFF); }

void rec_fail(const char *why)
{
	rec_set_state(REC_OFF);
	if (!atomic_exchange(&failed_once, 1))
		prim_log(why, "; recording stopped, the program continues", NULL);
}

static void thread_end(void *arg)
{
	ring_release(arg);
	rec_tls.ring = NULL;
}

int rec_init(void) { return pthread_key_create(&ring_key, thread_end) != 0 ? -1 : 0; }

void rec_set_ring(struct ring *r)
{
	rec_tls.ring = r;
	pthread_setspecific(ring_key, r); /* runs thread_end when the thread exits */
}
