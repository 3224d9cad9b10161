/* cli.c: numbers and the cluster key, read alike by every program. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "gms/cli.h"
#include "gms/log.h"

int
cli_parse_u32(const char *s, uint32_t *out)
{
	char			*end;
	unsigned long long	 v;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int
cli_parse_size(const char *s, uint64_t *out)
{
	char			*end;
	unsigned long long	 v;
	uint64_t		 mul = 1;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		mul = 1ULL << 10;
		break;
	case 'M':
		mul = 1ULL << 20;
		break;
	case 'G':
		mul = 1ULL << 30;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0' &&
	    !(toupper((unsigned char)end[1]) == 'B' && end[2] == '\0'))
		return -1;
	if (v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

const char *
cli_load_key(const char *key_file, struct proto_key *key)
{
	char		 buf[1024];
	const char	*env = getenv("GMS_KEY");
	FILE		*f;
	size_t		 len;

	if (key_file != NULL) {
		if ((f = fopen(key_file, "r")) == NULL)
			fatal("cannot read the key file %s", key_file);
		len = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[len] = '\0';
		while (len > 0 && isspace((unsigned char)buf[len - 1]))
			buf[--len] = '\0';
		if (len < CLI_KEY_MIN)
			fatalx("the key file %s holds %zu characters; a cluster "
			    "key needs at least %d", key_file, len, CLI_KEY_MIN);
		proto_key_derive(key, buf);
		sodium_memzero(buf, sizeof buf);
		return "--key-file";
	}
	if (env == NULL || *env == '\0')
		return NULL;
	if (strlen(env) < CLI_KEY_MIN)
		fatalx("GMS_KEY holds %zu characters; a cluster key needs at "
		    "least %d", strlen(env), CLI_KEY_MIN);
	proto_key_derive(key, env);
	return "GMS_KEY";
}
