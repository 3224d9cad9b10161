/*
 * uid.c: the cluster-wide name of a page (GMS-REFERENCE.md section 3).
 *
 * The hash must give the same value on every node and in every run, because
 * the POD places GCD entries by it: it is a fixed arithmetic mix of the three
 * fields (the splitmix64 finalizer), never a seeded or per-process hash.
 */
#include <inttypes.h>
#include <stdio.h>

#include "directories/uid.h"

static uint64_t	uid_mix(uint64_t);
static int	uid_parse_num(const char **, uint64_t, uint64_t *);

/* splitmix64's finalizer: a bijection of 64-bit words that spreads bits. */
static uint64_t
uid_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t
uid_hash(const struct uid *u)
{
	uint64_t	hi = ((uint64_t)u->node << 32) | u->space;

	return uid_mix(uid_mix(hi) ^ u->pgno);
}

int
uid_eq(const struct uid *a, const struct uid *b)
{
	return a->node == b->node && a->space == b->space &&
	    a->pgno == b->pgno;
}

int
uid_is_shared(const struct uid *u)
{
	return (u->space & UID_SHARED) != 0;
}

const char *
uid_fmt(const struct uid *u, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu32 ":%" PRIu32 "%s:%" PRIu64, u->node,
	    u->space & ~UID_SHARED, uid_is_shared(u) ? "s" : "", u->pgno);
	return buf;
}

/*
 * Read a decimal number no larger than max at *sp and advance past it.  Only
 * digits: no sign, no blanks, no base prefix (strtoul takes all three).
 */
static int
uid_parse_num(const char **sp, uint64_t max, uint64_t *out)
{
	const char	*s = *sp;
	uint64_t	 v = 0;
	unsigned int	 d;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned int)(*s - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*sp = s;
	*out = v;
	return 0;
}

int
uid_parse(const char *s, struct uid *u)
{
	uint64_t	node, space, pgno;
	int		shared = 0;

	if (s == NULL)
		return -1;
	if (uid_parse_num(&s, UINT32_MAX, &node) != 0 || *s++ != ':')
		return -1;
	/* The shared bit is written as the "s", never inside the number. */
	if (uid_parse_num(&s, UID_SHARED - 1, &space) != 0)
		return -1;
	if (*s == 's') {
		shared = 1;
		s++;
	}
	if (*s++ != ':')
		return -1;
	if (uid_parse_num(&s, UINT64_MAX, &pgno) != 0 || *s != '\0')
		return -1;

	u->node = (uint32_t)node;
	u->space = (uint32_t)space | (shared ? UID_SHARED : 0);
	u->pgno = pgno;
	return 0;
}
