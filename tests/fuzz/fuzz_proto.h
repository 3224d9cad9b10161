/*
 * fuzz_proto.h: what the protocol fuzzer and its corpus generator share,
 * so the seed datagrams verify under the fuzzer's key.
 *
 * An input is one selector byte (FUZZ_S* bits), then a datagram.
 */
#ifndef GMS_FUZZ_PROTO_H
#define GMS_FUZZ_PROTO_H

#define FUZZ_SECRET	"fuzz secret"
#define FUZZ_CLUSTER	0x5eed0001u

#define FUZZ_SRESIGN	0x01	/* re-sign the datagram before decoding */
#define FUZZ_SPAGE4K	0x02	/* our page size is 4096, else the minimum */

#define FUZZ_PAGE_SIZE(sel)	(((sel) & FUZZ_SPAGE4K) ? 4096 : PROTO_PAGE_MIN)

#endif
