/*
 * fuzz_proto.c: libFuzzer harness for proto_decode().
 *
 * The first byte of an input selects (tests/fuzz/fuzz_proto.h): with
 * FUZZ_SRESIGN the rest is re-signed under the fuzzer's key first, so the
 * fuzzer gets past the MAC to the type, length and value checks.  A datagram
 * that decodes must re-encode to exactly its own bytes (the encoding is
 * canonical), and that encoding must decode and re-encode the same again;
 * anything else abort()s.
 *
 * Build and run: make -C tests/fuzz run (clang with libFuzzer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "gms/proto.h"
#include "tests/fuzz/fuzz_proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct proto_key	fuzz_key;
static int		fuzz_ready;

/* Decoded, re-encoded: the same bytes, and the same again. */
static void
roundtrip(const uint8_t *buf, size_t len, uint32_t ps, const struct msg *m)
{
	static uint8_t	out[PROTO_MAXDGRAM], out2[PROTO_MAXDGRAM];
	struct msg	m2;
	size_t		len2, len3;

	len2 = proto_encode(out, sizeof out, &fuzz_key, ps, m);
	if (len2 != len || memcmp(out, buf, len) != 0)
		abort();
	if (proto_decode(out, len2, &fuzz_key, FUZZ_CLUSTER, ps, &m2) != PE_OK)
		abort();
	if ((m2.type == MSG_PAGE || m2.type == MSG_PUTPAGE) &&
	    m2.u.page.data != out + PROTO_HDRLEN + 28)	/* PAGE header */
		abort();
	if (m2.type == MSG_PUTBATCH && m2.u.putbatch.pages[0].data !=
	    out + PROTO_HDRLEN + 4 + 28)	/* count, PAGE header */
		abort();
	len3 = proto_encode(out2, sizeof out2, &fuzz_key, ps, &m2);
	if (len3 != len2 || memcmp(out, out2, len2) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg	 m;
	uint8_t		*copy = NULL;
	const uint8_t	*buf;
	uint32_t	 ps;
	int		 sel, e;

	if (!fuzz_ready) {
		proto_key_derive(&fuzz_key, FUZZ_SECRET);
		fuzz_ready = 1;
	}
	if (size < 1)
		return 0;
	sel = data[0];
	data++;
	size--;
	ps = FUZZ_PAGE_SIZE(sel);

	buf = data;
	if ((sel & FUZZ_SRESIGN) && size >= PROTO_MACLEN) {
		/* exactly size bytes, so ASan sees any read past the end */
		if ((copy = malloc(size)) == NULL)
			abort();
		memcpy(copy, data, size);
		if (size >= PROTO_HDRLEN + PROTO_MACLEN)
			proto_seal(copy, size, &fuzz_key);
		buf = copy;
	}

	e = proto_decode(buf, size, &fuzz_key, FUZZ_CLUSTER, ps, &m);
	if (e < PE_OK || e >= PE_NERR)
		abort();
	if (e == PE_OK)
		roundtrip(buf, size, ps, &m);
	free(copy);
	return 0;
}
