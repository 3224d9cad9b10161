# lib-sim.sh: what the scripts of experiments/figs/ that run the simulator
# (nchance, scale, quality) and the age-sampler experiment (sampler) share:
# option parsing, progress lines, the metadata line, gnuplot output (PNG
# and PDF), CSV to markdown, and gmssim runs and their figures of merit.
# Sourced by those scripts; it sources the common experiment layer
# (experiments/lib.sh), which may take more of these over.
#
#   xs_init NAME "$@"          parse --quick, --netns, --hosts FILE, --help;
#                              set XS_NAME, XS_QUICK, RESULTS, XS_TMP
#   xs_progress I N WHAT       "[NAME] I/N WHAT" on stderr
#   xs_meta PROFILES           the line that heads NAME.md
#   xp_md_table CSV            the CSV as a markdown table (lib.sh)
#   xs_sim_only                note that --netns/--hosts do not apply
#   xs_plot BODY [W H]         NAME.png and NAME.pdf from gnuplot commands
#   xs_series CSV COND         the rows of one series, into a file
#   xs_sim OUT ARGS...         bin/gmssim --json ARGS into OUT
#   xs_busy_done OUT           mean done_ms of the nodes that had a workload
#   xs_median                  the median of the numbers on stdin

# shellcheck shell=bash disable=SC2034
# (XS_QUICK, XS_HOSTS and the like are read by the scripts that source this)
XS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$XS_ROOT/experiments/lib.sh"
XS_SIM=${GMSSIM:-$XS_ROOT/bin/gmssim}
XS_CMDLINE=""

xs_usage() {
	sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
	exit "${1:-2}"
}

# xs_init NAME ARGS...: the options every script takes.  --netns and
# --hosts FILE select where a real cluster runs; XS_WHERE holds them for
# scripts that start one (local processes on loopback by default).
xs_init() {
	XS_NAME=$1
	shift
	XS_CMDLINE="experiments/figs/$XS_NAME${*:+ $*}"
	XS_QUICK=0
	XS_WHERE=local
	XS_HOSTS=""
	while [ $# -gt 0 ]; do
		case $1 in
		--quick) XS_QUICK=1 ;;
		--netns) XS_WHERE=netns ;;
		--hosts)
			[ $# -ge 2 ] || { echo "$XS_NAME: --hosts needs a" \
			    "file of host names" >&2; exit 2; }
			XS_WHERE=hosts
			XS_HOSTS=$2
			shift ;;
		-h|--help) xs_usage 0 ;;
		*)	echo "$XS_NAME: unknown option $1 (try --help)" >&2
			exit 2 ;;
		esac
		shift
	done
	RESULTS=${RESULTS:-$XS_ROOT/experiments/results}
	mkdir -p "$RESULTS" || exit 1
	RESULTS=$(cd "$RESULTS" && pwd)
	XS_TMP=$(mktemp -d "/tmp/gms-$XS_NAME.XXXXXX")
	trap 'rm -rf "$XS_TMP"' EXIT
	trap 'exit 130' INT TERM HUP
	command -v gnuplot >/dev/null && command -v jq >/dev/null || {
		echo "$XS_NAME: needs gnuplot and jq (run" \
		    "experiments/install-deps.sh)" >&2
		exit 1
	}
}

# xs_sim_only: for scripts that run only the simulator.
xs_sim_only() {
	[ "$XS_WHERE" = local ] || echo "[$XS_NAME] note: --$XS_WHERE" \
	    "ignored: this result runs only the simulator (bin/gmssim)" >&2
	[ -x "$XS_SIM" ] || { echo "$XS_NAME: no $XS_SIM: run make" >&2
		exit 1; }
}

xs_progress() { local i=$1 n=$2; shift 2; echo "[$XS_NAME] $i/$n $*" >&2; }

# The line that heads NAME.md: command, date, commit, machine, profiles.
xs_meta() {
	local commit cpu
	commit=$(git -C "$XS_ROOT" rev-parse --short HEAD 2>/dev/null ||
	    echo unknown)
	# (results written by this and other scripts do not make it dirty)
	[ -n "$(git -C "$XS_ROOT" status --porcelain --untracked-files=no \
	    -- . ":!experiments/results" 2>/dev/null)" ] &&
	    commit="$commit+dirty"
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
	echo "Command \`$XS_CMDLINE\`, $(date -u +%Y-%m-%dT%H:%M:%SZ)," \
	    "commit $commit, $(nproc) CPUs (${cpu:-unknown CPU}), kernel" \
	    "$(uname -r); profiles: $1."
}

# xs_plot BODY [W H]: run gnuplot's commands BODY twice, into NAME.png
# (pngcairo, else png) and NAME.pdf (pdfcairo; without it, no PDF and a
# note).  BODY plots from files named relative to $RESULTS.
xs_plot() {
	local terms png pdf w=${2:-1000} h=${3:-600}
	terms=$(gnuplot -e 'set terminal' 2>&1)
	png="png size $w,$h"
	echo "$terms" | grep -qw pngcairo &&
	    png="pngcairo size $w,$h font 'Sans,11'"
	pdf=""
	echo "$terms" | grep -qw pdfcairo &&
	    pdf="pdfcairo size $((w / 100))in,$((h / 100))in font 'Sans,10'"
	(cd "$RESULTS" && gnuplot -e "set terminal $png;
	    set output '$XS_NAME.png'; $1") || return 1
	if [ -n "$pdf" ]; then
		(cd "$RESULTS" && gnuplot -e "set terminal $pdf;
		    set output '$XS_NAME.pdf'; $1") || return 1
	else
		echo "[$XS_NAME] note: this gnuplot has no pdfcairo terminal:" \
		    "no $XS_NAME.pdf" >&2
	fi
}

# xs_sim OUT ARGS...: one simulator run, its JSON report in OUT.
xs_sim() {
	local out=$1
	shift
	"$XS_SIM" --json "$@" >"$out" 2>"$out.err" || {
		echo "$XS_NAME: gmssim $* failed: $(head -3 "$out.err")" >&2
		return 1
	}
}

# xs_busy_done OUT: when the busy nodes' workloads finished, on average
# (ms of virtual time): the run time whose ratio is the speedup.
xs_busy_done() {
	jq '[.per_node[] | select(.refs > 0) | .done_ms] | add / length' "$1"
}

xs_median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1
		if (NR % 2) print v[(NR + 1) / 2]
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# xs_series CSV COND: the rows of CSV (header excluded) for which the awk
# condition COND holds (fields split at commas), into a file whose path
# is printed: one series of a figure, drawn as one unbroken line.
xs_series() {
	local f
	f=$(mktemp "$XS_TMP/series.XXXXXX")
	awk -F, "NR > 1 && ($2)" "$1" >"$f"
	echo "$f"
}
