/*
 * mac_speed.c: the cost of a datagram MAC, for the MACs the protocol could
 * use, side by side in one run (experiments/results/mac.md).
 *
 *   mac_speed [REPS]
 *
 * For a 48-byte datagram (a small request: header and body) and a page
 * datagram (32-byte header, 28-byte page header, 4096 bytes of page), times
 * each MAC in batches of BATCH calls, REPS batches (default 2000), with the
 * MACs interleaved batch by batch so load on the machine falls on all of
 * them alike; prints the median and p10/p90 ns per MAC:
 *   blake2b   keyed BLAKE2b-128 (crypto_generichash), protocol 7
 *   chacha    ChaCha20-Poly1305-IETF, empty message, datagram as
 *             associated data (12-byte nonce)
 *   xchacha   XChaCha20-Poly1305-IETF the same way (24-byte nonce),
 *             protocol 8
 *   aesgcm    AES-256-GCM the same way, if the CPU has AES-NI and PCLMUL
 *             (crypto_aead_aes256gcm_is_available), else reported as absent
 * Bounded: REPS at most 100000.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#define BATCH		32	/* MACs per timed batch */
#define REPS_MAX	100000	/* batches, at most */
#define PAGE_DGRAM	(32 + 28 + 4096)	/* a PAGE datagram without MAC */
#define SMALL_DGRAM	48	/* a GETPAGE-sized datagram without MAC */

enum { M_BLAKE, M_CHACHA, M_XCHACHA, M_AESGCM, M_N };

static const char *mac_names[M_N] = { "blake2b", "chacha", "xchacha",
    "aesgcm" };

static unsigned char	 key[32];
static unsigned char	 nonce[24];
static crypto_aead_aes256gcm_state aes_state;

static double
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void
mac(int which, unsigned char out[16], const unsigned char *p, size_t len)
{
	unsigned char		c[1];	/* the empty ciphertext: unwritten */
	unsigned long long	tlen;

	switch (which) {
	case M_BLAKE:
		crypto_generichash(out, 16, p, len, key, sizeof key);
		break;
	case M_CHACHA:
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(c, out,
		    &tlen, NULL, 0, p, len, NULL, nonce, key);
		break;
	case M_XCHACHA:
		crypto_aead_xchacha20poly1305_ietf_encrypt_detached(c, out,
		    &tlen, NULL, 0, p, len, NULL, nonce, key);
		break;
	case M_AESGCM:
		crypto_aead_aes256gcm_encrypt_detached_afternm(c, out,
		    &tlen, NULL, 0, p, len, NULL, nonce, &aes_state);
		break;
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	static double	 ns[M_N][REPS_MAX];
	static unsigned char buf[PAGE_DGRAM];
	size_t		 sizes[2] = { SMALL_DGRAM, PAGE_DGRAM };
	unsigned char	 out[16];
	int		 reps = argc > 1 ? atoi(argv[1]) : 2000;
	int		 have_aes, s, r, i, k;
	double		 t;

	if (reps < 10 || reps > REPS_MAX) {
		fprintf(stderr, "usage: mac_speed [REPS], 10 <= REPS <= %d\n",
		    REPS_MAX);
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	randombytes_buf(key, sizeof key);
	randombytes_buf(nonce, sizeof nonce);
	randombytes_buf(buf, sizeof buf);
	have_aes = crypto_aead_aes256gcm_is_available();
	if (have_aes)
		crypto_aead_aes256gcm_beforenm(&aes_state, key);

	printf("# libsodium %s, %d batches of %d MACs, ns per MAC\n",
	    sodium_version_string(), reps, BATCH);
	printf("%-8s %6s %9s %9s %9s\n", "mac", "bytes", "p10", "median",
	    "p90");
	for (s = 0; s < 2; s++) {
		for (r = 0; r < reps; r++)
			for (k = 0; k < M_N; k++) {
				if (k == M_AESGCM && !have_aes)
					continue;
				t = now_ns();
				for (i = 0; i < BATCH; i++) {
					nonce[0] = (unsigned char)i;
					mac(k, out, buf, sizes[s]);
				}
				ns[k][r] = (now_ns() - t) / BATCH;
				buf[out[0] % sizes[s]] ^= 1;	/* keep it live */
			}
		for (k = 0; k < M_N; k++) {
			if (k == M_AESGCM && !have_aes) {
				printf("%-8s %6zu   absent (no AES-NI/PCLMUL)\n",
				    mac_names[k], sizes[s]);
				continue;
			}
			qsort(ns[k], reps, sizeof ns[k][0], cmp_double);
			printf("%-8s %6zu %9.0f %9.0f %9.0f\n", mac_names[k],
			    sizes[s], ns[k][reps / 10], ns[k][reps / 2],
			    ns[k][reps * 9 / 10]);
		}
	}
	return 0;
}
