/*
 * metrics.h - the Prometheus page of the health server.
 */
#ifndef FZ_METRICS_H
#define FZ_METRICS_H

struct evbuffer;

/* health_metrics_fn for the control process (arg: struct ctl *). */
void metrics_render(void *arg, struct evbuffer *b);

#endif
