/*
 * cli.h: what the command-line programs (gmsd, gmstrace) read the same
 * way: numbers, and the cluster key.
 */
#ifndef GMS_CLI_H
#define GMS_CLI_H

#include <stdint.h>

#include "gms/proto.h"

#define CLI_KEY_MIN	8	/* characters a cluster secret has at least */

/* A decimal uint32_t, nothing else; -1 on bad input. */
int		 cli_parse_u32(const char *, uint32_t *);
/* "64M", "1G", "4096", "512K", "2KB" -> bytes; -1 on bad input. */
int		 cli_parse_size(const char *, uint64_t *);
/*
 * The cluster secret from key_file, else $GMS_KEY (non-empty); derives the
 * key and returns where it came from ("--key-file", "GMS_KEY"), or NULL if
 * neither was given.  A file that cannot be read or a secret shorter than
 * CLI_KEY_MIN characters is fatal, with one sentence.
 */
const char	*cli_load_key(const char *key_file, struct proto_key *);

#endif
