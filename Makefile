# GMS: the Global Memory Service on stock Linux.
#   make          build bin/ and lib/
#   make test     install what is missing, build, run the tests
#   make demo     install what is missing, build, run a local 4-node cluster
#   make bench    benchmarks (medians and ratios)
#   make asan     the same build with ASan and UBSan, into build-asan/

CC	?= cc
OPT	?= -O2
CFLAGS	+= $(OPT) $(SAN) -g -std=gnu11 -pthread \
	   -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wpointer-arith -Wwrite-strings -Wno-missing-field-initializers
CPPFLAGS += -I. -D_GNU_SOURCE
LDLIBS	+= $(SAN) -levent -lsodium -lpcap -lm -pthread

B	?= build
BIN	?= bin
LIBDIR	?= lib

DIR_SRCS  = agesampler/ages.c directories/uid.c directories/pfd.c directories/gcd.c \
	    directories/pod.c directories/epoch.c
UTIL_SRCS = gms/log.c gms/xmalloc.c gms/proto.c gms/ctlmsg.c gms/net.c \
	    gms/cli.c \
	    gms/region.c gms/tracefile.c
# Transport: replay windows (gms/replay.c); link models are gms/link.h.
UTIL_SRCS += gms/replay.c
GMSD_SRCS = gms/gmsd.c gms/node.c gms/member.c gms/pages.c \
	    gms/ctl.c gms/pager.c gms/store.c gms/replace.c gms/trace.c \
	    agesampler/sampler.c
CTL_SRCS  = gms/gmsctl.c
SIM_SRCS  = experiments/sim/sim.c experiments/sim/simwork.c \
	    experiments/sim/simpolicy.c experiments/sim/gmssim.c
TRACE_SRCS = gms/gmstrace.c gms/gtreport.c
GMS_SRCS  = gms/libgms.c

DIR_OBJS  = $(DIR_SRCS:%.c=$(B)/%.o)
UTIL_OBJS = $(UTIL_SRCS:%.c=$(B)/%.o)
GMSD_OBJS = $(GMSD_SRCS:%.c=$(B)/%.o)
CTL_OBJS  = $(CTL_SRCS:%.c=$(B)/%.o)
SIM_OBJS  = $(SIM_SRCS:%.c=$(B)/%.o)
TRACE_OBJS = $(TRACE_SRCS:%.c=$(B)/%.o)
GMS_OBJS  = $(GMS_SRCS:%.c=$(B)/%.o)
# libgms.a stands alone: a client links it with -pthread and nothing else.
GMSLIB_OBJS = $(GMS_OBJS) $(B)/gms/ctlmsg.o $(B)/gms/region.o \
	    $(B)/gms/xmalloc.o $(B)/gms/log.o
GMSLIB	  = $(LIBDIR)/libgms.a

UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)

TOOLS	= $(B)/tests/tools/gmsinject
TOOLS	+= $(B)/tests/tools/gmsmem
TOOLS	+= $(B)/tests/tools/gmstracegen
PROGS	= $(BIN)/gmsd $(BIN)/gmsctl $(BIN)/gmstrace
PROGS	+= $(BIN)/gmssim
LIBS	= $(LIBDIR)/libgmsdir.a $(LIBDIR)/libgmsutil.a

.PHONY: all deps test demo bench asan clean
all: $(PROGS) $(LIBS) $(UNIT_BINS) $(TOOLS)
all: $(GMSLIB)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBDIR)/libgmsdir.a: $(DIR_OBJS)
	@mkdir -p $(LIBDIR)
	$(AR) rcs $@ $^
$(LIBDIR)/libgmsutil.a: $(UTIL_OBJS)
	@mkdir -p $(LIBDIR)
	$(AR) rcs $@ $^
$(GMSLIB): $(GMSLIB_OBJS)
	@mkdir -p $(LIBDIR)
	$(AR) rcs $@ $^

$(BIN)/gmsd: $(GMSD_OBJS) $(LIBS)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $(GMSD_OBJS) $(LIBS) $(LDLIBS)
$(BIN)/gmsctl: $(CTL_OBJS) $(LIBS)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $(CTL_OBJS) $(LIBS) $(LDLIBS)
# The simulator: the pure core with virtual time (experiments/sim/).
$(BIN)/gmssim: $(SIM_OBJS) $(LIBS)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $(SIM_OBJS) $(LIBS) $(SAN) -lm
$(BIN)/gmstrace: $(TRACE_OBJS) $(LIBS)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $(TRACE_OBJS) $(LIBS) $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBS) $(LDLIBS)
# The trace writer is gmsd's, not in a library: linked in by name.
$(B)/tests/test_trace: tests/unit/test_trace.c $(B)/gms/trace.o $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(B)/gms/trace.o $(LIBS) $(LDLIBS)

$(B)/tests/tools/%: tests/tools/%.c $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBS) $(LDLIBS)

# Clients of libgms: the library alone, as a workload would link it.
$(B)/tests/tools/gmsmem: tests/tools/gmsmem.c $(GMSLIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(GMSLIB) -pthread
$(B)/tests/test_libgms: tests/unit/test_libgms.c $(GMSLIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(GMSLIB) -pthread

# The benchmark programs (experiments/bench/run); libgms alone, or libc.
BENCH_BINS = $(B)/bench/floor_uffd $(B)/bench/fault_lat $(B)/bench/udp_rtt
$(B)/bench/floor_uffd $(B)/bench/fault_lat: $(B)/bench/%: \
    experiments/bench/%.c $(GMSLIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -o $@ $< $(GMSLIB) -pthread
$(B)/bench/udp_rtt: experiments/bench/udp_rtt.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -o $@ $<
# floor_remote: the fault-throughput floor, a bare remote pager (bench/tput).
BENCH_BINS += $(B)/bench/floor_remote $(B)/bench/fault_mix
$(B)/bench/floor_remote: experiments/bench/floor_remote.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -o $@ $< -pthread
# memwork: the one workload on GMS memory or on anonymous memory (swap,
# zswap, zram); metasize: sizeof the directories' entries.
BENCH_BINS += $(B)/bench/memwork $(B)/bench/metasize
$(B)/bench/memwork: experiments/bench/memwork.c $(GMSLIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -o $@ $< $(GMSLIB) -pthread
$(B)/bench/metasize: experiments/bench/metasize.c $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -o $@ $< $(LIBDIR)/libgmsutil.a $(B)/directories/uid.o $(LDLIBS)

# Workloads (workloads/): programs that keep their data in GMS memory,
# linked like any client: libgms alone, -pthread, and -lm for the Zipf sampler.
WL_BINS	= $(BIN)/wl-oo7 $(BIN)/wl-render $(BIN)/wl-web $(BIN)/wl-compile \
	  $(BIN)/wl-synth
WL_OBJS	= $(WL_BINS:$(BIN)/wl-%=$(B)/workloads/%.o) $(B)/workloads/wl.o
all: $(WL_BINS)
.SECONDARY: $(WL_OBJS)
$(BIN)/wl-%: $(B)/workloads/%.o $(B)/workloads/wl.o $(GMSLIB)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $< $(B)/workloads/wl.o $(GMSLIB) -pthread -lm
$(B)/tests/test_wl: tests/unit/test_wl.c $(B)/workloads/wl.o $(GMSLIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -o $@ $< $(B)/workloads/wl.o \
	    $(GMSLIB) -pthread -lm
# The fault path's on/off measurements (experiments/bench/fastpath).
FASTPATH_BINS = $(B)/bench/fault_mix
$(B)/bench/fault_mix: experiments/bench/fault_mix.c $(GMSLIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -o $@ $< $(GMSLIB) -pthread

# The datagram MAC's cost, one MAC against another (experiments/results/mac.md).
MAC_BINS = $(B)/bench/mac_speed
all: $(MAC_BINS)
$(B)/bench/mac_speed: experiments/bench/mac_speed.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -o $@ $< -lsodium

deps:
	@sh experiments/install-deps.sh

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory asan
	@tests/run

demo: deps
	@$(MAKE) --no-print-directory all
	@experiments/demo

bench: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory $(BENCH_BINS) && experiments/bench/run

# Soak (tests/soak/run): a bounded run of everything at once on one local
# cluster, 30 minutes unless SOAK_SECONDS says otherwise; not part of test.
.PHONY: soak
soak: deps
	@$(MAKE) --no-print-directory all
	@tests/soak/run

asan:
	@$(MAKE) --no-print-directory B=build-asan BIN=build-asan/bin \
	    LIBDIR=build-asan/lib OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer" all

clean:
	rm -rf build build-asan bin lib

-include $(shell find $(B) -name '*.d' 2>/dev/null)
