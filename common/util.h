/*
 * util.h - two small helpers both processes use: a monotonic clock in
 * milliseconds for the sans-IO cores' `now`, and the FNV-1a hash the
 * O(1) lookup tables bucket by.
 */
#ifndef FZ_UTIL_H
#define FZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC. */
static inline uint64_t
util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* FNV-1a (32 bit) over n bytes, continuing from h (start with UTIL_FNV_INIT). */
#define UTIL_FNV_INIT 2166136261u
static inline uint32_t
util_fnv1a(uint32_t h, const void *v, size_t n)
{
	const uint8_t *b = v;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

#endif
