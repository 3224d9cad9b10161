/*
 * metasize.c: the bytes of metadata GMS keeps per page, from the
 * directories' own struct definitions: this file compiles pfd.c and
 * gcd.c into itself so that their private entry structs are in scope.
 *
 *   metasize    prints one JSON line
 */
#include <stdio.h>

#include "directories/pfd.c"
#include "directories/gcd.c"

int
main(void)
{
	printf("{\"pfd_entry_bytes\":%zu,\"gcd_entry_bytes\":%zu,"
	    "\"ut_hash_handle_bytes\":%zu,\"uid_bytes\":%zu,"
	    "\"gcd_max_holders\":%d}\n", sizeof(struct pfd_entry),
	    sizeof(struct gcd_entry), sizeof(UT_hash_handle),
	    sizeof(struct uid), GCD_MAX_HOLDERS);
	return 0;
}
