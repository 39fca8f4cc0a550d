/*
 * dnspattern.h - does a concrete DNS name match a DNS resource's address
 * pattern (docs/protocol/dataplane.md §4.1)?  Labels split at '.', case-
 * insensitive; '?' is one character and '*' any run within one label;
 * "**" as a whole label is zero or more labels; "[...]" is a character
 * class; "*.example.com" also matches "example.com".  A trailing dot on
 * either side is ignored.  Sans-IO, no allocation.
 */
#ifndef FZ_DNSPATTERN_H
#define FZ_DNSPATTERN_H

/* 1 if name matches pattern, 0 if not, -1 if the pattern is invalid
 * ("**" inside a label, or three or more '*' in a row). */
int dnspattern_match(const char *pattern, const char *name);

#endif
