/*
 * fuzz_simtrace.c: libFuzzer harness for gmssim's trace reader
 * (simwork_trace_load: "time_us node pgno [r|w]" lines, for --trace).
 *
 * An input is a trace file, read through a memfd into a four-node
 * simulator.  A file that loads must leave only trace workloads whose
 * references are in time order; one that does not must say why.  The
 * reader must never read past its line buffer (ASan) or accept a node
 * outside 1..4.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/sim/sim.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_NODES	4

static int	fuzz_fd = -1;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_config	 cfg;
	struct sim		*sim;
	struct sim_work		*w;
	char			 path[64], err[512];
	uint32_t		 i;
	size_t			 k;

	if (fuzz_fd == -1 &&
	    (fuzz_fd = memfd_create("fuzz-simtrace", MFD_CLOEXEC)) == -1)
		abort();
	if (ftruncate(fuzz_fd, 0) == -1 ||
	    pwrite(fuzz_fd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fuzz_fd);
	memset(&cfg, 0, sizeof cfg);
	cfg.nnodes = FUZZ_NODES;
	cfg.page_size = 4096;
	cfg.seed = 1;
	sim = sim_create(&cfg);
	err[0] = '\0';
	if (simwork_trace_load(sim, path, err, sizeof err) == -1) {
		if (err[0] == '\0')
			abort();
	} else {
		for (i = 1; i <= FUZZ_NODES; i++) {
			w = &sim_node(sim, i)->work;
			if (w->kind != SIM_W_IDLE && w->kind != SIM_W_TRACE)
				abort();
			for (k = 0; k < w->ntr; k++)
				if (w->tr[k].t_us > UINT64_MAX / 2000 ||
				    (k > 0 && w->tr[k].t_us < w->tr[k - 1].t_us))
					abort();
		}
	}
	sim_free(sim);
	return 0;
}
