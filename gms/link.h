/*
 * link.h: the link models (DESIGN.md "Hardware profiles"), one table shared
 * by gmsd's transport (--link) and the simulator (gmssim --net).
 *
 * A message leaves when its sender's link is free, holds the link for its
 * serialisation time (bytes at the model's bandwidth) and arrives one
 * latency after it has left.
 *
 * atm155: the paper's 155 Mb/s AN2 with the one-way latency that makes a
 * getpage of an 8 KB page take its 1440 us (GMS-REFERENCE.md section 6).
 */
#ifndef GMS_LINK_H
#define GMS_LINK_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINK_LAT_US_MAX		10000000	/* custom latency, us */
#define LINK_MBIT_MAX		100000000	/* custom bandwidth, Mb/s */

struct link_model {
	const char	*name;
	uint64_t	 lat_us;	/* one-way, per message */
	uint64_t	 mbit;		/* Mb/s; 0: unlimited */
	const char	*what;
};

static const struct link_model link_models[] = {
	{ "none", 0, 0, "no modelled cost (the real network only)" },
	{ "atm155", 505, 155, "the paper's 155 Mb/s ATM (8 KB getpage 1440 us)" },
	{ "1gbe", 30, 1000, "1 Gb/s Ethernet" },
	{ "10gbe", 10, 10000, "10 Gb/s Ethernet" },
};

/* Serialisation time of `bytes` at `mbit` Mb/s, in ns (rounded up). */
static inline uint64_t
link_tx_ns(uint64_t bytes, uint64_t mbit)
{
	if (mbit == 0)
		return 0;
	return (bytes * 8000 + mbit - 1) / mbit;
}

static inline int
link_num(const char *s, uint64_t hi, uint64_t *out)
{
	char			*end;
	unsigned long long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > hi)
		return -1;
	*out = v;
	return 0;
}

/*
 * A model by name ("atm" is the simulator's older name of atm155), or the
 * custom form LAT_US:MBIT (also LAT_US,MBIT) into *custom, whose name is
 * then "custom".  NULL if s is neither.
 */
static inline const struct link_model *
link_model_parse(const char *s, struct link_model *custom)
{
	char	buf[64], *c;
	size_t	i;

	if (strcmp(s, "atm") == 0)
		s = "atm155";
	for (i = 0; i < sizeof link_models / sizeof link_models[0]; i++)
		if (strcmp(s, link_models[i].name) == 0)
			return &link_models[i];
	if (strlen(s) >= sizeof buf)
		return NULL;
	snprintf(buf, sizeof buf, "%s", s);
	if ((c = strpbrk(buf, ":,")) == NULL)
		return NULL;
	*c++ = '\0';
	memset(custom, 0, sizeof *custom);
	if (link_num(buf, LINK_LAT_US_MAX, &custom->lat_us) == -1 ||
	    link_num(c, LINK_MBIT_MAX, &custom->mbit) == -1 ||
	    custom->mbit == 0)
		return NULL;
	custom->name = "custom";
	custom->what = "custom latency and bandwidth";
	return custom;
}

#endif
