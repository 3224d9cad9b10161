/*
 * pod.h: the page ownership directory (GMS-REFERENCE.md section 3).
 *
 * Replicated on every node and versioned; it changes only when membership
 * changes.  It lists the members and maps each of POD_NBUCKETS hash buckets
 * to the member holding that GCD partition.  A private page's GCD entry lives
 * on its owner (uid.node) while the owner is a member that is not leaving,
 * so the owner's own faults need no extra hop; every other page goes by its
 * bucket.
 *
 * Buckets are assigned by rendezvous hashing: each bucket goes to the member
 * with the highest hash(bucket, member id).  A membership change moves only
 * the buckets of the members that came or went.
 *
 * Pure: no I/O.
 */
#ifndef GMS_POD_H
#define GMS_POD_H

#include <stdint.h>

#include "directories/uid.h"

#define POD_NBUCKETS	256	/* hash buckets; a bucket index fits a byte */
#define POD_MAX_MEMBERS	64	/* members listed in one POD */

#define POD_MLEAVING	0x0001	/* member flag: leaving, owns no buckets */

struct pod_member {
	uint32_t	id;	/* node id, never 0 */
	uint32_t	addr;	/* IPv4 address, host byte order */
	uint16_t	port;	/* UDP port, host byte order */
	uint16_t	flags;	/* POD_M* */
};

struct pod;

struct pod	*pod_create(void);	/* version 0, no members */
void		 pod_free(struct pod *);

/*
 * Build version `version` from a member list (any order, ids unique and
 * non-zero): members are stored sorted by id and buckets are assigned by
 * rendezvous hashing among members not leaving.  Returns -1 (errno EINVAL)
 * on a bad list, or if no member can own buckets while n > 0.
 */
int		 pod_compute(struct pod *, uint32_t version,
		    const struct pod_member *, int n);
/*
 * Install a POD received from the master: members as sent, buckets[i] the
 * index into members of bucket i's owner.  Validates everything (sorted
 * unique ids, bucket indexes in range, no bucket owned by a leaving member);
 * -1 (errno EINVAL) and the POD unchanged if anything is wrong.
 */
int		 pod_set(struct pod *, uint32_t version,
		    const struct pod_member *, int n,
		    const uint8_t buckets[POD_NBUCKETS]);

uint32_t	 pod_version(const struct pod *);
int		 pod_nmembers(const struct pod *);
const struct pod_member *pod_member_at(const struct pod *, int);
const struct pod_member *pod_find(const struct pod *, uint32_t id);
const uint8_t	*pod_buckets(const struct pod *);

/*
 * The partition rule of master failover: do the members marked heard (of
 * n members with these ids) form a quorum?  A strict majority, or exactly
 * half that includes the lowest id, so two disjoint sides never both do.
 */
int		 pod_quorum(const uint32_t *ids, const uint8_t *heard, int n);

uint32_t	 pod_bucket(const struct uid *);
/* Node id of the GCD partition holding uid's entry; 0 if the POD is empty. */
uint32_t	 pod_gcd_node(const struct pod *, const struct uid *);

#endif
