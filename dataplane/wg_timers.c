/*
 * wg_timers.c - WireGuard timers as plain deadlines.
 */
#include <string.h>

#include "wg_timers.h"

static uint32_t
clamp_jitter(uint32_t jitter_ms)
{
	return jitter_ms > WG_REKEY_TIMEOUT_JITTER_MAX_MS ?
	    WG_REKEY_TIMEOUT_JITTER_MAX_MS : jitter_ms;
}

void
wg_timers_stop(struct wg_timers *t)
{
	t->retransmit_at = WG_TIMERS_NEVER;
	t->keepalive_at = WG_TIMERS_NEVER;
	t->new_handshake_at = WG_TIMERS_NEVER;
	t->zero_keys_at = WG_TIMERS_NEVER;
	t->persistent_at = WG_TIMERS_NEVER;
	t->attempting = false;
	t->keepalive_again = false;
}

void
wg_timers_init(struct wg_timers *t, uint32_t persistent_keepalive_ms)
{
	memset(t, 0, sizeof(*t));
	t->persistent_keepalive_ms = persistent_keepalive_ms;
	wg_timers_stop(t);
}

/* Sent data: expect to hear back within KEEPALIVE + REKEY_TIMEOUT. */
void
wg_timers_data_sent(struct wg_timers *t, uint64_t now_ms, uint32_t jitter_ms)
{
	if (t->new_handshake_at == WG_TIMERS_NEVER)
		t->new_handshake_at = now_ms + WG_KEEPALIVE_TIMEOUT_MS +
		    WG_REKEY_TIMEOUT_MS + clamp_jitter(jitter_ms);
}

/* Received data: answer with a keepalive unless we send something first. */
void
wg_timers_data_received(struct wg_timers *t, uint64_t now_ms)
{
	if (t->keepalive_at == WG_TIMERS_NEVER)
		t->keepalive_at = now_ms + WG_KEEPALIVE_TIMEOUT_MS;
	else
		t->keepalive_again = true;
}

void
wg_timers_any_authenticated_packet_sent(struct wg_timers *t, uint64_t now_ms)
{
	(void)now_ms;
	t->keepalive_at = WG_TIMERS_NEVER;
	t->keepalive_again = false;
}

void
wg_timers_any_authenticated_packet_received(struct wg_timers *t, uint64_t now_ms)
{
	(void)now_ms;
	t->new_handshake_at = WG_TIMERS_NEVER;
}

void
wg_timers_any_authenticated_packet_traversal(struct wg_timers *t, uint64_t now_ms)
{
	if (t->persistent_keepalive_ms != 0)
		t->persistent_at = now_ms + t->persistent_keepalive_ms;
}

void
wg_timers_handshake_initiated(struct wg_timers *t, uint64_t now_ms, uint32_t jitter_ms)
{
	if (!t->attempting) {
		t->attempting = true;
		t->attempt_start_ms = now_ms;
	}
	t->last_initiation_ms = now_ms;
	t->sent_initiation = true;
	t->retransmit_at = now_ms + WG_REKEY_TIMEOUT_MS + clamp_jitter(jitter_ms);
}

void
wg_timers_handshake_complete(struct wg_timers *t, uint64_t now_ms)
{
	(void)now_ms;
	t->retransmit_at = WG_TIMERS_NEVER;
	t->attempting = false;
}

void
wg_timers_session_derived(struct wg_timers *t, uint64_t now_ms)
{
	t->zero_keys_at = now_ms + 3 * (uint64_t)WG_REJECT_AFTER_TIME_MS;
}

bool
wg_timers_may_initiate(const struct wg_timers *t, uint64_t now_ms)
{
	return !t->sent_initiation ||
	    now_ms - t->last_initiation_ms >= WG_REKEY_TIMEOUT_MS;
}

uint64_t
wg_timers_next_deadline(const struct wg_timers *t)
{
	uint64_t d = t->retransmit_at;

	if (t->keepalive_at < d)
		d = t->keepalive_at;
	if (t->new_handshake_at < d)
		d = t->new_handshake_at;
	if (t->zero_keys_at < d)
		d = t->zero_keys_at;
	if (t->persistent_at < d)
		d = t->persistent_at;
	return d;
}

unsigned int
wg_timers_tick(struct wg_timers *t, uint64_t now_ms, uint64_t *next_ms)
{
	unsigned int act = WG_TIMERS_NONE;

	if (t->retransmit_at <= now_ms) {
		t->retransmit_at = WG_TIMERS_NEVER;
		if (now_ms - t->attempt_start_ms >= WG_REKEY_ATTEMPT_TIME_MS) {
			/* Give up: stop trying, keep only the key expiry. */
			t->attempting = false;
			t->new_handshake_at = WG_TIMERS_NEVER;
			if (t->zero_keys_at == WG_TIMERS_NEVER)
				t->zero_keys_at = now_ms +
				    3 * (uint64_t)WG_REJECT_AFTER_TIME_MS;
			act |= WG_TIMERS_GIVE_UP;
		} else
			act |= WG_TIMERS_INITIATE_HANDSHAKE;
	}
	if (t->new_handshake_at <= now_ms) {
		t->new_handshake_at = WG_TIMERS_NEVER;
		act |= WG_TIMERS_INITIATE_HANDSHAKE;
	}
	if (t->keepalive_at <= now_ms) {
		t->keepalive_at = WG_TIMERS_NEVER;
		act |= WG_TIMERS_SEND_KEEPALIVE;
		if (t->keepalive_again) {
			t->keepalive_again = false;
			t->keepalive_at = now_ms + WG_KEEPALIVE_TIMEOUT_MS;
		}
	}
	if (t->persistent_at <= now_ms) {
		t->persistent_at = WG_TIMERS_NEVER;
		act |= WG_TIMERS_SEND_KEEPALIVE;
	}
	if (t->zero_keys_at <= now_ms) {
		t->zero_keys_at = WG_TIMERS_NEVER;
		t->retransmit_at = WG_TIMERS_NEVER;
		t->new_handshake_at = WG_TIMERS_NEVER;
		t->attempting = false;
		act |= WG_TIMERS_EXPIRE_SESSION;
		act &= ~(unsigned int)WG_TIMERS_INITIATE_HANDSHAKE;
	}
	if (act & WG_TIMERS_GIVE_UP)
		act &= ~(unsigned int)WG_TIMERS_INITIATE_HANDSHAKE;
	if (next_ms != NULL)
		*next_ms = wg_timers_next_deadline(t);
	return act;
}
