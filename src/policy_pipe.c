// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The elements cfg_parse_stream() hands over, read into the model on a
 * second thread while the first reads on: at 10,000 containers, turning
 * 100,000 links into the model is a third of reading the policy, and
 * `apply` has two cores.
 *
 * The parser's nodes are reused once the callback returns, so each
 * element is copied (its nodes; names and strings stay in the text,
 * which nothing writes behind the parser) into one of two batches: the
 * parser fills one while the worker reads the other. The worker calls
 * the element function in the order the elements came, so its results
 * (the model, the order of messages) are those of calling it inline.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "policy_int.h"

#define BATCH_ELEMS	512
#define BATCH_NODES	8192	/* a link is 5 nodes; a bigger element waits */

struct item {
	uint32_t node, idx;
	char *from, *to;
};

struct batch {
	struct cfg_node nodes[BATCH_NODES];
	struct item items[BATCH_ELEMS];
	size_t nnodes, n;
	bool full;		/* the worker's until it clears it */
};

struct elem_pipe {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch b[2];
	int cur;		/* the parser fills b[cur] */
	bool done;
	int err;		/* the first error of fn, or 0 */
	elem_fn *fn;
	void *arg;
};

/* The batch's elements, in order; the first error, or 0. */
static int run_batch(struct elem_pipe *p, const struct batch *b)
{
	int ret = 0;

	for (size_t i = 0; i < b->n && !ret; i++) {
		const struct item *it = &b->items[i];

		ret = p->fn(p->arg, &b->nodes[it->node], it->idx, it->from,
			    it->to);
	}
	return ret;
}

static void *worker(void *arg)
{
	struct elem_pipe *p = arg;

	for (int i = 0;; i ^= 1) {
		struct batch *b = &p->b[i];
		bool full;
		int ret;

		pthread_mutex_lock(&p->mu);
		while (!b->full && !p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		full = b->full;
		ret = p->err;
		pthread_mutex_unlock(&p->mu);
		if (!full)
			return NULL;	/* done, and nothing left */
		/* after an error the rest is only given back */
		if (!ret)
			ret = run_batch(p, b);
		pthread_mutex_lock(&p->mu);
		if (!p->err)
			p->err = ret;
		b->n = b->nnodes = 0;
		b->full = false;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
}

int pipe_open(struct elem_pipe **out, elem_fn *fn, void *arg)
{
	struct elem_pipe *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->fn = fn;
	p->arg = arg;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->th, NULL, worker, p)) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return -EAGAIN;
	}
	*out = p;
	return 0;
}

/* b[cur] to the worker; the other to the parser once the worker is done. */
static int flush(struct elem_pipe *p)
{
	int err;

	pthread_mutex_lock(&p->mu);
	if (p->b[p->cur].n) {
		p->b[p->cur].full = true;
		pthread_cond_broadcast(&p->cv);
		p->cur ^= 1;
	}
	while (p->b[p->cur].full)
		pthread_cond_wait(&p->cv, &p->mu);
	err = p->err;
	pthread_mutex_unlock(&p->mu);
	return err;
}

/* Until the worker has read everything put so far. */
static int drain(struct elem_pipe *p)
{
	int err;

	(void)flush(p);		/* its error is read below, once all is done */
	pthread_mutex_lock(&p->mu);
	while (p->b[p->cur ^ 1].full)
		pthread_cond_wait(&p->cv, &p->mu);
	err = p->err;
	pthread_mutex_unlock(&p->mu);
	return err;
}

/* src and its kids into b, at dst; false when b has no room. */
static bool copy_tree(struct batch *b, struct cfg_node *dst,
		      const struct cfg_node *src)
{
	struct cfg_node *kids;

	*dst = *src;
	if (!cfg_is_aggregate(src) || !src->count)
		return true;
	if (src->count > BATCH_NODES - b->nnodes)
		return false;
	kids = &b->nodes[b->nnodes];
	b->nnodes += src->count;
	dst->v.kids = kids;
	for (uint32_t i = 0; i < src->count; i++)
		if (!copy_tree(b, &kids[i], &src->v.kids[i]))
			return false;
	return true;
}

static bool put_copy(struct batch *b, const struct cfg_node *e, uint32_t idx,
		     char *from, char *to)
{
	size_t mark = b->nnodes;

	if (b->n == BATCH_ELEMS || b->nnodes == BATCH_NODES)
		return false;
	b->nnodes++;
	if (!copy_tree(b, &b->nodes[mark], e)) {
		b->nnodes = mark;
		return false;
	}
	b->items[b->n++] = (struct item){ (uint32_t)mark, idx, from, to };
	return true;
}

int pipe_put(void *arg, const struct cfg_node *e, uint32_t idx, char *from,
	     char *to)
{
	struct elem_pipe *p = arg;
	int err;

	if (put_copy(&p->b[p->cur], e, idx, from, to))
		return 0;
	if ((err = flush(p)) < 0)
		return err;
	if (put_copy(&p->b[p->cur], e, idx, from, to))
		return 0;
	/* Bigger than a batch: read here, once the worker has caught up. */
	if ((err = drain(p)) < 0)
		return err;
	return p->fn(p->arg, e, idx, from, to);
}

int pipe_close(struct elem_pipe *p)
{
	int err;

	if (!p)
		return 0;
	flush(p);
	pthread_mutex_lock(&p->mu);
	p->done = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	err = p->err;
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
	return err;
}
