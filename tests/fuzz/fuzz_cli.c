/*
 * fuzz_cli.c: libFuzzer harness for the command-line parsers: the numbers
 * of gms/cli.c (cli_parse_u32, cli_parse_size) and the UIDs gmsctl reads
 * (uid_parse).
 *
 * The first byte picks the parser, the rest is the argument (cut at the
 * first NUL).  Each answer is checked against an independent reading: a
 * number is accepted exactly when it is decimal digits (and for a size one
 * of K, M, G, optionally followed by B, any case) whose value fits, and
 * then has that value; a UID that parses prints back (uid_fmt) to a string
 * that parses to the same UID.  Anything else abort()s.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "directories/uid.h"
#include "gms/cli.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Decimal digits at s, value in *v; the end, or NULL on overflow/none. */
static const char *
ref_digits(const char *s, uint64_t max, uint64_t *v)
{
	*v = 0;
	if (!isdigit((unsigned char)*s))
		return NULL;
	for (; isdigit((unsigned char)*s); s++) {
		if (*v > (max - (uint64_t)(*s - '0')) / 10)
			return NULL;
		*v = *v * 10 + (uint64_t)(*s - '0');
	}
	return s;
}

static int
ref_u32(const char *s, uint32_t *out)
{
	uint64_t	v;

	s = ref_digits(s, UINT32_MAX, &v);
	if (s == NULL || *s != '\0')
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
ref_size(const char *s, uint64_t *out)
{
	uint64_t	v, mul = 1;
	int		c;

	if ((s = ref_digits(s, UINT64_MAX, &v)) == NULL)
		return -1;
	c = toupper((unsigned char)*s);
	if (c == 'K' || c == 'M' || c == 'G') {
		mul = c == 'K' ? 1ULL << 10 : c == 'M' ? 1ULL << 20 :
		    1ULL << 30;
		s++;
		if (toupper((unsigned char)*s) == 'B')
			s++;
	}
	if (*s != '\0' || v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s, buf[UID_STRLEN];
	struct uid	 u, u2;
	uint64_t	 z = 0, zr = 0;
	uint32_t	 v = 0, vr = 0;
	int		 a, b;

	if (size < 1)
		return 0;
	if ((s = malloc(size)) == NULL)
		abort();
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0:
		a = cli_parse_u32(s, &v);
		b = ref_u32(s, &vr);
		if (a != b || (a == 0 && v != vr))
			abort();
		break;
	case 1:
		a = cli_parse_size(s, &z);
		b = ref_size(s, &zr);
		if (a != b || (a == 0 && z != zr))
			abort();
		break;
	default:
		if (uid_parse(s, &u) == 0) {
			if (uid_fmt(&u, buf, sizeof buf) == NULL ||
			    strlen(buf) >= sizeof buf ||
			    uid_parse(buf, &u2) != 0 ||
			    memcmp(&u, &u2, sizeof u) != 0)
				abort();
		}
		break;
	}
	free(s);
	return 0;
}
