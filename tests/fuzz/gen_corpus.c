/*
 * gen_corpus.c: write seed inputs for fuzz_proto, one valid datagram of
 * each type, signed under the fuzzer's key: "<type>" as it is, and
 * "<type>-resign" with the re-sign selector so the fuzzer's mutations of it
 * reach the body checks.  PAGE and PUTPAGE also get a 4096-byte page,
 * PUTBATCH two of them.
 *
 * usage: gen_corpus dir
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gms/proto.h"
#include "tests/fuzz/fuzz_proto.h"

static const int types[] = {
	MSG_JOIN, MSG_JOIN_ACK, MSG_POD, MSG_HEARTBEAT, MSG_HEARTBEAT_ACK,
	MSG_LEAVE, MSG_LEAVE_DONE, MSG_ACK, MSG_GETPAGE, MSG_GETPAGE_FWD,
	MSG_PAGE, MSG_MISS, MSG_PUTPAGE, MSG_DISCARD, MSG_GCD_UPDATE,
	MSG_GCD_HANDOVER, MSG_EPOCH_START, MSG_EPOCH_SUMMARY, MSG_EPOCH_PLAN,
	MSG_PUTBATCH, MSG_PUTBATCH_ACK,
};

static uint8_t	page[4096];

static void
sample(int type, uint32_t ps, struct msg *m)
{
	struct uid	u = { 3, 0x10, 0x1234 };
	int		i;

	memset(m, 0, sizeof *m);
	m->type = type;
	m->cluster = FUZZ_CLUSTER;
	m->sender = type == MSG_JOIN ? 0 : 2;
	m->reqid = 1000 + type;
	m->stamp = 1700000000000000ULL + (uint64_t)type;
	switch (type) {
	case MSG_JOIN:
		m->u.join.page_size = ps;
		m->u.join.nframes = 256;
		m->u.join.nonce = 0x1122334455667788ULL;
		break;
	case MSG_JOIN_ACK:
		m->flags = PROTO_FREPLY;
		m->u.join_ack.node = 2;
		m->u.join_ack.page_size = ps;
		m->u.join_ack.heartbeat_ms = 500;
		m->u.join_ack.master = 1;
		break;
	case MSG_POD:
		m->u.pod.version = 4;
		m->u.pod.nmembers = 3;
		m->u.pod.master_idx = 0;
		m->u.pod.term = 1;
		m->u.pod.next_id = 4;
		for (i = 0; i < 3; i++) {
			m->u.pod.members[i].id = i + 1;
			m->u.pod.members[i].addr = 0x7f000001;
			m->u.pod.members[i].port = 7000 + i;
		}
		m->u.pod.members[2].flags = POD_MLEAVING;
		for (i = 0; i < POD_NBUCKETS; i++)
			m->u.pod.buckets[i] = i % 2;
		break;
	case MSG_HEARTBEAT:
		m->u.heartbeat.pod_version = 4;
		m->u.heartbeat.nfree = 10;
		m->u.heartbeat.nlocal = 20;
		m->u.heartbeat.nglobal = 30;
		break;
	case MSG_HEARTBEAT_ACK:
		m->flags = PROTO_FREPLY;
		m->u.heartbeat_ack.pod_version = 4;
		m->u.heartbeat_ack.nloads = 2;
		m->u.heartbeat_ack.loads[0].node = 1;
		m->u.heartbeat_ack.loads[0].nfree = 5;
		m->u.heartbeat_ack.loads[1].node = 2;
		m->u.heartbeat_ack.loads[1].nfree = 6;
		break;
	case MSG_ACK:
		m->flags = PROTO_FREPLY;
		m->u.ack.status = ST_FULL;
		m->u.ack.value = 4;
		break;
	case MSG_GETPAGE:
	case MSG_GETPAGE_FWD:
		m->u.getpage.uid = u;
		m->u.getpage.requester = 2;
		m->u.getpage.pod_version = 4;
		break;
	case MSG_PAGE:
	case MSG_PUTPAGE:
		m->flags = type == MSG_PAGE ? PROTO_FREPLY : 0;
		m->u.page.uid = u;
		m->u.page.flags = type == MSG_PAGE ? PAGE_FMOVED : PAGE_FSHARED;
		m->u.page.age_ms = 1500;
		m->u.page.data = page;
		break;
	case MSG_PUTBATCH:
		m->u.putbatch.npages = 2;
		for (i = 0; i < 2; i++) {
			m->u.putbatch.pages[i].uid = u;
			m->u.putbatch.pages[i].uid.pgno += i;
			m->u.putbatch.pages[i].flags = i ? PAGE_FSHARED :
			    1 << PAGE_RECIRC_SHIFT;
			m->u.putbatch.pages[i].age_ms = 1500 + i;
			m->u.putbatch.pages[i].gen = 1 + i;
			m->u.putbatch.pages[i].data = page;
		}
		break;
	case MSG_PUTBATCH_ACK:
		m->flags = PROTO_FREPLY;
		m->u.putbatch_ack.npages = 3;
		m->u.putbatch_ack.value = 9;
		m->u.putbatch_ack.status[1] = ST_FULL;
		break;
	case MSG_MISS:
		m->flags = PROTO_FREPLY;
		m->u.miss.uid = u;
		m->u.miss.reason = MISS_NOTHELD;
		break;
	case MSG_DISCARD:
		m->u.discard.uid = u;
		m->u.discard.flags = DISCARD_FHOLDER;
		break;
	case MSG_GCD_UPDATE:
	case MSG_GCD_HANDOVER:
		m->u.gcd.nentries = 3;
		for (i = 0; i < 3; i++) {
			m->u.gcd.entries[i].uid = u;
			m->u.gcd.entries[i].uid.pgno += i;
			m->u.gcd.entries[i].holder = 1 + i % 2;
			m->u.gcd.entries[i].op = i == 1 ? GCD_OPREMOVE :
			    GCD_OPADD;
		}
		break;
	case MSG_EPOCH_START:
		m->u.epoch_start.epoch = 7;
		m->u.epoch_start.m = 100;
		m->u.epoch_start.t_ms = 5000;
		break;
	case MSG_EPOCH_SUMMARY:
		m->flags = PROTO_FREPLY;
		m->u.epoch_summary.epoch = 7;
		m->u.epoch_summary.nfree = 12;
		m->u.epoch_summary.nbuckets = 3;
		for (i = 0; i < 3; i++) {
			m->u.epoch_summary.buckets[i].bucket = 2 + 5 * i;
			m->u.epoch_summary.buckets[i].count = 10 + i;
		}
		break;
	case MSG_EPOCH_PLAN:
		m->u.epoch_plan.epoch = 7;
		m->u.epoch_plan.minage = 123456;
		m->u.epoch_plan.m = 100;
		m->u.epoch_plan.next = 2;
		m->u.epoch_plan.t_ms = 5000;
		m->u.epoch_plan.nweights = 3;
		for (i = 0; i < 3; i++) {
			m->u.epoch_plan.weights[i].node = i + 1;
			m->u.epoch_plan.weights[i].weight = 30 + i;
		}
		break;
	}
}

static void
write_seed(const char *dir, const char *name, const char *suffix, int sel,
    const uint8_t *dg, size_t len)
{
	char	path[512], lower[64];
	FILE	*f;
	size_t	i;

	for (i = 0; name[i] != '\0' && i < sizeof lower - 1; i++)
		lower[i] = tolower((unsigned char)name[i]);
	lower[i] = '\0';
	snprintf(path, sizeof path, "%s/%s%s", dir, lower, suffix);
	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		exit(1);
	}
	if (fputc(sel, f) == EOF || fwrite(dg, 1, len, f) != len ||
	    fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	static uint8_t		dg[PROTO_MAXDGRAM];
	struct proto_key	key;
	struct msg		m;
	const char		*name;
	size_t			i, len;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus dir\n");
		return 1;
	}
	for (i = 0; i < sizeof page; i++)
		page[i] = i * 13;
	proto_key_derive(&key, FUZZ_SECRET);
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		name = proto_type_name(types[i]);
		sample(types[i], PROTO_PAGE_MIN, &m);
		len = proto_encode(dg, sizeof dg, &key, PROTO_PAGE_MIN, &m);
		if (len == 0) {
			fprintf(stderr, "cannot encode %s\n", name);
			return 1;
		}
		write_seed(argv[1], name, "", 0, dg, len);
		write_seed(argv[1], name, "-resign", FUZZ_SRESIGN, dg, len);
		if (types[i] != MSG_PAGE && types[i] != MSG_PUTPAGE &&
		    types[i] != MSG_PUTBATCH)
			continue;
		sample(types[i], 4096, &m);
		len = proto_encode(dg, sizeof dg, &key, 4096, &m);
		write_seed(argv[1], name, "-4k", FUZZ_SPAGE4K | FUZZ_SRESIGN,
		    dg, len);
	}
	return 0;
}
