# shellcheck shell=bash
# experiments/lib.sh: what every experiment script (experiments/figs/NAME)
# shares: its options, progress lines, the metadata line, CSV and markdown
# output, gnuplot figures, workloads, and a cluster that is local processes
# on loopback (default), network-namespace hosts (--netns) or real hosts
# started over ssh (--hosts FILE).
#
#   xp_begin NAME "$@"           parse --quick --netns --hosts FILE; RESULTS
#   xp_progress I N WHAT         "[NAME] I/N WHAT" on stderr
#   xp_csv_header COL...         start $RESULTS/NAME.csv
#   xp_csv_row VAL...            append a row
#   xp_plot GNUPLOT-TEXT         draw NAME.png and NAME.pdf ($TERM_OUT set)
#   xp_finish PROFILES           NAME.md (metadata line + table), NAME.jsonl
#   xp_workload NODE WL MB SEED OPS   run a workload on NODE; prints seconds
#
#   xc_init                      start the cluster layer (trap cleans up)
#   xc_start NAME ARGS...        start gmsd NAME; the first one is the master
#   xc_ctl NAME ARGS...          gmsctl against NAME
#   xc_exec NAME CMD...          run CMD where NAME runs (ssh for --hosts)
#   xc_wait N [S]                every node sees N members
#   xc_cpu_ticks NAME            utime + stime of NAME's gmsd, clock ticks
#   xc_stop_all                  stop every node (namespaces are kept)
#
# A hosts file has one line per host: "HOST [gmsd args]" (# comments).
# Nodes go to hosts in the order they are started, one node per line; HOST
# is the ssh destination and the address gmsd listens on (port 7070 + the
# line's index unless the line gives --listen, which may give port 0).  Every host needs this
# checkout built at the same path (or XC_REMOTE_ROOT) and the cluster key
# is sent over ssh's stdin into a key file, never on a command line.
# XC_SSH (default "ssh -o BatchMode=yes") is the command that reaches a host.

XP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
XP_BIN=$XP_ROOT/bin
XP_GMSMEM=$XP_ROOT/build/tests/tools/gmsmem
RESULTS=${RESULTS:-$XP_ROOT/experiments/results}
XP_CMDLINE=""
XP_QUICK=0
XC_MODE=local
XC_HOSTS=""

xp_die() {
	echo "$XP_NAME: $*" >&2
	exit 2
}

xp_begin() {
	XP_NAME=$1
	shift
	XP_CMDLINE="experiments/figs/$XP_NAME${*:+ $*}"
	while [ $# -gt 0 ]; do
		case $1 in
		--quick) XP_QUICK=1 ;;
		--netns) XC_MODE=netns ;;
		--hosts)
			[ $# -ge 2 ] || xp_die "--hosts needs a file of hosts"
			[ -r "$2" ] || xp_die "cannot read hosts file $2"
			XC_MODE=hosts
			XC_HOSTS=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
			shift ;;
		*) xp_die "unknown option $1 (expected --quick, --netns," \
		    "--hosts FILE)" ;;
		esac
		shift
	done
	mkdir -p "$RESULTS" || exit 1
	RESULTS=$(cd "$RESULTS" && pwd)
	[ -x "$XP_BIN/gmsd" ] && [ -x "$XP_GMSMEM" ] ||
	    xp_die "build first: make (bin/gmsd or $XP_GMSMEM is missing)"
	command -v jq >/dev/null || xp_die "jq is missing" \
	    "(experiments/install-deps.sh installs it)"
	XP_CSV=$RESULTS/$XP_NAME.csv
	XP_T0=$SECONDS
}

xp_progress() {
	echo "[$XP_NAME] $1/$2 $3" >&2
}

xp_csv_header() {
	local IFS=,
	echo "$*" >"$XP_CSV"
}

xp_csv_row() {
	local IFS=,
	echo "$*" >>"$XP_CSV"
}

# The line that precedes every table: command, date, commit, machine,
# profiles.
xp_meta() {
	local commit cpu
	commit=$(git -C "$XP_ROOT" rev-parse --short HEAD 2>/dev/null ||
	    echo unknown)
	git -C "$XP_ROOT" diff --quiet HEAD 2>/dev/null || commit="$commit+"
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
	printf '`%s` (cluster: %s), %s, commit %s, %s vCPU %s, Linux %s; ' \
	    "$XP_CMDLINE" "$XC_MODE" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
	    "$commit" "$(nproc)" "${cpu:-unknown CPU}" "$(uname -r)"
	printf 'profiles: %s\n' "$1"
}

# The CSV as a markdown table.
xp_md_table() {
	awk -F, 'NR == 1 { s = "|"; d = "|"
			for (i = 1; i <= NF; i++) { s = s " " $i " |"; d = d "---|" }
			print s; print d; next }
		{ s = "|"; for (i = 1; i <= NF; i++) s = s " " $i " |"; print s }' \
	    "$1"
}

# NAME.md: the metadata line, a blank line, the table (and any notes on
# stdin after it); one JSON line per run appended to NAME.jsonl.
xp_finish() {
	local profiles=$1 notes
	notes=$(cat)
	{
		xp_meta "$profiles"
		echo
		xp_md_table "$XP_CSV"
		[ -n "$notes" ] && { echo; echo "$notes"; }
	} >"$RESULTS/$XP_NAME.md"
	jq -cn --arg name "$XP_NAME" --arg cmd "$XP_CMDLINE" \
	    --arg date "$(date -u +%FT%TZ)" --arg mode "$XC_MODE" \
	    --arg profiles "$profiles" --arg commit \
	    "$(git -C "$XP_ROOT" rev-parse HEAD 2>/dev/null)" \
	    --argjson seconds $((SECONDS - XP_T0)) \
	    --rawfile csv "$XP_CSV" \
	    '{name: $name, command: $cmd, date: $date, cluster: $mode,
	      commit: $commit, profiles: $profiles, seconds: $seconds,
	      csv: $csv}' >>"$RESULTS/$XP_NAME.jsonl"
	echo "[$XP_NAME] done in $((SECONDS - XP_T0)) s:" \
	    "$RESULTS/$XP_NAME.{csv,md,png,pdf}" >&2
}

# xp_plot TEXT: TEXT is gnuplot commands after terminal and output; run it
# twice, for NAME.png and NAME.pdf.  pngcairo and pdfcairo where this
# gnuplot has them, else the libgd png terminal and postscript through
# ps2pdf.
xp_plot() {
	local text=$1 terms png pdf
	command -v gnuplot >/dev/null ||
	    { echo "[$XP_NAME] gnuplot is missing: no figure" >&2; return 1; }
	terms=$(gnuplot -e 'set terminal' 2>&1)
	if echo "$terms" | grep -qw pngcairo; then
		png="pngcairo size 900,560 font 'sans,10'"
	else
		png="png size 900,560"
	fi
	gnuplot <<-GP || return 1
		set terminal $png
		set output "$RESULTS/$XP_NAME.png"
		$text
	GP
	if echo "$terms" | grep -qw pdfcairo; then
		pdf="pdfcairo size 6.4in,4in font 'sans,9'"
		gnuplot <<-GP || return 1
			set terminal $pdf
			set output "$RESULTS/$XP_NAME.pdf"
			$text
		GP
	else
		gnuplot <<-GP | ps2pdf - "$RESULTS/$XP_NAME.pdf" || return 1
			set terminal postscript eps color
			set output
			$text
		GP
	fi
}

# Is there a link model in this gmsd (gmsd --link)?
xp_have_link() {
	"$XP_BIN/gmsd" --help 2>&1 | grep -q -- '--link'
}

# The gmsd options of a profile: 1995 (the paper's disk and, where gmsd has
# a link model, its 155 Mb/s ATM), modern (NVMe and 10 GbE) or raw.
xp_profile_args() {
	case $1 in
	1995) echo "--disk 1995 --page-size 8192" \
	    "$(xp_have_link && echo --link atm155)" ;;
	modern) echo "--disk nvme $(xp_have_link && echo --link 10gbe)" ;;
	raw) echo "--disk none $(xp_have_link && echo --link none)" ;;
	*) xp_die "no profile $1" ;;
	esac
}

xp_profile_page() {
	case $1 in 1995) echo 8192 ;; *) echo 4096 ;; esac
}

# xp_workload NODE WL MB SEED OPS: run workload WL with MB megabytes of
# data in NODE's GMS memory and OPS operations; prints the seconds of its
# run phase (after its data is built).  bin/wl-WL when it exists (its
# run_s: build and verify phases excluded); else a gmsmem stand-in that writes its data, pauses, and is
# timed from the pause on: "uniform" (random accesses by one thread, 10 %
# writes, every page read verified) or "seq" (sequential passes over the
# data, verified).  Exits on a wrong page or a failed workload.
xp_workload() {
	local node=$1 wl=$2 mb=$3 seed=$4 ops=$5 out pages page passes line
	local t0 t1 rc
	if [ -x "$XP_BIN/wl-$wl" ]; then
		# OPS is the size of the run phase: lookups (oo7, with one
		# traversal), queries (web), accesses (synth); render and
		# compile make one pass
		case $wl in
		oo7) set -- --ops "$ops" --passes 1 ;;
		web | synth) set -- --ops "$ops" ;;
		*) set -- --passes 1 ;;
		esac
		out=$(xc_exec "$node" "$XP_BIN/wl-$wl" --size "$mb" \
		    --seed "$seed" --dir "$(xc_dir "$node")" --json --quiet \
		    "$@") ||
		    xp_die "workload wl-$wl failed on $node: $out"
		echo "$out" | tail -1 | jq -r .run_s
		return
	fi
	page=$(xc_ctl "$node" status --json | jq .page_size)
	pages=$((mb * 1048576 / page))
	set -- --dir "$(xc_dir "$node")" --seed "$seed" "map:$pages" \
	    "write:0-$((pages - 1))" pause
	case $wl in
	uniform) set -- "$@" "hammer:1:0:$ops:10" check ;;
	seq)	passes=$(( (ops + pages - 1) / pages ))
		while [ "$passes" -gt 0 ]; do
			set -- "$@" "read:0-$((pages - 1))"
			passes=$((passes - 1))
		done ;;
	*) xp_die "no workload $wl (bin/wl-$wl is not built)" ;;
	esac
	coproc XP_WL { xc_exec "$node" "$XP_GMSMEM" "$@" 2>&1; }
	while IFS= read -r -t 600 line <&"${XP_WL[0]}"; do
		[ "$line" = paused ] && break
		out="$out$line"$'\n'
	done
	[ "$line" = paused ] ||
	    xp_die "workload $wl did not build its data on $node: $out"
	t0=$(date +%s.%N)
	echo >&"${XP_WL[1]}"
	out=$(timeout 900 cat <&"${XP_WL[0]}")
	wait "$XP_WL_PID"
	rc=$?
	t1=$(date +%s.%N)
	[ $rc = 0 ] ||
	    xp_die "workload $wl failed on $node (exit $rc): $(echo "$out" |
	    tail -3)"
	echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }'
}

# Programs started in the background that build their data and wait at
# a pause, released together (gmsmem "pause"):
#   xp_bg_start ID NODE GMSMEM-CMD...   start; returns once it is paused
#   xp_bg_release ID                    let it run on
#   xp_bg_pause ID N                    wait until it is at its Nth pause
#   xp_bg_wait ID                       wait for its end; fails if it failed
xp_bg_start() {
	local id=$1 node=$2 i
	shift 2
	mkfifo "$CL_TMP/bg-$id.in" || return 1
	exec {i}<>"$CL_TMP/bg-$id.in"
	eval "XP_BG_FD_$id=$i"
	xc_exec "$node" "$XP_GMSMEM" --dir "$(xc_dir "$node")" "$@" \
	    <"$CL_TMP/bg-$id.in" >"$CL_TMP/bg-$id.out" 2>&1 &
	eval "XP_BG_PID_$id=$!"
	for i in $(seq 1 6000); do	# 600 s
		grep -q '^paused$' "$CL_TMP/bg-$id.out" 2>/dev/null && return 0
		kill -0 $! 2>/dev/null || break
		sleep 0.1
	done
	echo "program $id on $node did not reach its pause:" >&2
	tail -3 "$CL_TMP/bg-$id.out" >&2
	return 1
}

# Wait until program ID has reached its Nth pause (600 s).
xp_bg_pause() {
	local id=$1 n=$2 pid i
	eval "pid=\$XP_BG_PID_$id"
	for i in $(seq 1 60000); do
		[ "$(grep -c '^paused$' "$CL_TMP/bg-$id.out")" -ge "$n" ] &&
		    return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}

xp_bg_release() {
	local fd
	eval "fd=\$XP_BG_FD_$1"
	echo >&"$fd"
}

xp_bg_wait() {
	local pid fd rc
	eval "pid=\$XP_BG_PID_$1 fd=\$XP_BG_FD_$1"
	wait "$pid"
	rc=$?
	exec {fd}>&-
	rm -f "$CL_TMP/bg-$1.in"
	[ $rc = 0 ] || { echo "program $1 failed (exit $rc):" >&2
		tail -3 "$CL_TMP/bg-$1.out" >&2; }
	return $rc
}

# The workloads to run: the paper's four where they are built (two of
# them with --quick: oo7 and web), else the gmsmem stand-ins; or those
# XP_WORKLOADS names.
xp_workloads() {
	local w list="" all="oo7 render web compile"
	[ -n "${XP_WORKLOADS:-}" ] && { echo "$XP_WORKLOADS"; return; }
	[ $XP_QUICK = 1 ] && all="oo7 web"
	for w in $all; do
		[ -x "$XP_BIN/wl-$w" ] && list="$list $w"
	done
	echo "${list:-uniform seq}"
}

# ---- the cluster layer -------------------------------------------------

. "$XP_ROOT/experiments/cluster.sh"

XC_LIVE=""		# nodes of the current configuration
XC_NS=""		# set once we create namespaces (gx$XC_TAG-*)
XC_IDX=0		# nodes started so far (netns address, hosts line)
XC_REMOTE=""		# host:pid:dir of nodes started over ssh
XC_SSH=${XC_SSH:-"ssh -o BatchMode=yes -o ConnectTimeout=10"}
XC_NET=10.213		# netns addresses: 10.213.X.Y

xc_cleanup() {
	local ns r host pid dir
	set +e
	for r in $XC_REMOTE; do
		IFS=: read -r host pid dir <<<"$r"
		$XC_SSH "$host" "kill -9 $pid; rm -rf $dir $dir.log" </dev/null \
		    >/dev/null 2>&1
	done
	cluster_cleanup
	if [ -n "$XC_NS" ]; then	# the hub and every host's namespace
		for ns in $(ip netns list | awk '{ print $1 }' |
		    grep "^gx$XC_TAG-"); do
			ip netns del "$ns" 2>/dev/null
		done
	fi
}

xc_init() {
	cluster_init
	trap xc_cleanup EXIT
	XC_TAG=$$
	if [ "$XC_MODE" = netns ]; then
		command -v ip >/dev/null || xp_die "--netns needs ip (iproute2)"
		[ "$(id -u)" = 0 ] || xp_die "--netns needs root"
		# the hub: one namespace holding the bridge every host's veth
		# plugs into
		XC_HUB=gx$XC_TAG-hub
		ip netns add "$XC_HUB" || xp_die "cannot create namespaces"
		XC_NS=$XC_HUB
		ip -n "$XC_HUB" link add br0 type bridge &&
		    ip -n "$XC_HUB" link set br0 up &&
		    ip -n "$XC_HUB" link set lo up ||
		    xp_die "cannot make the bridge"
		XC_SUB=$(( (XC_TAG % 250) + 1 ))
	fi
	if [ "$XC_MODE" = hosts ]; then
		XC_REMOTE_ROOT=${XC_REMOTE_ROOT:-$XP_ROOT}
		printf '%s' "$GMS_KEY" >"$CL_TMP/key"
	fi
}

# The namespace of host number I (made on first use).
xc_netns_host() {
	local i=$1 ns=gx$XC_TAG-h$1
	if ! ip netns list | grep -qw "$ns"; then
		ip netns add "$ns" || return 1
		ip link add "gx$XC_TAG-$i" netns "$ns" type veth \
		    peer name "p$i" netns "$XC_HUB" || return 1
		ip -n "$ns" link set lo up
		ip -n "$ns" link set "gx$XC_TAG-$i" name eth0
		ip -n "$ns" addr add "$XC_NET.$XC_SUB.$i/24" dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$XC_HUB" link set "p$i" master br0
		ip -n "$XC_HUB" link set "p$i" up
	fi
	echo "$ns"
}

xc_dir() {
	if [ "$XC_MODE" = hosts ]; then
		echo "/tmp/gmsx-$XC_TAG-$1"
	else
		echo "$CL_TMP/$1"
	fi
}

# Wait for NAME's port file (10 s); the node runs as pid $!.
xc_wait_port() {
	local name=$1 pid=$2 i
	for i in $(seq 1 500); do
		[ -s "$CL_TMP/$name/port" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	echo "gmsd $name did not start:" >&2
	cat "$CL_TMP/$name.log" >&2
	return 1
}

xc_start() {
	local name=$1 ns ip line host hargs port out
	shift
	XC_IDX=$((XC_IDX + 1))
	[ -n "$XC_LIVE" ] && set -- "$@" --master "$CL_MASTER"
	case $XC_MODE in
	local)
		cluster_start "$name" "$@" || return 1
		[ -n "$XC_LIVE" ] ||
		    CL_MASTER="127.0.0.1:$(cluster_port "$name")" ;;
	netns)
		ns=$(xc_netns_host "$XC_IDX") || xp_die "cannot make host $XC_IDX"
		ip=$XC_NET.$XC_SUB.$XC_IDX
		mkdir -p "$CL_TMP/$name"
		ip netns exec "$ns" "$XP_BIN/gmsd" --listen "$ip:7070" \
		    --dir "$CL_TMP/$name" "$@" >"$CL_TMP/$name.log" 2>&1 &
		echo $! >"$CL_TMP/$name.pid"
		CL_NAMES="$CL_NAMES $name"
		xc_wait_port "$name" $! || return 1
		[ -n "$XC_LIVE" ] || CL_MASTER="$ip:7070" ;;
	hosts)
		line=$(grep -v '^[[:space:]]*\(#\|$\)' "$XC_HOSTS" |
		    sed -n "${XC_IDX}p")
		[ -n "$line" ] || xp_die "$XC_HOSTS has fewer than $XC_IDX" \
		    "hosts (one per node; this experiment needs more)"
		read -r host hargs <<<"$line"
		port=$((7070 + XC_IDX))
		case " $hargs " in *" --listen "*) ;;
		*) hargs="--listen $host:$port $hargs" ;; esac
		# shellcheck disable=SC2086
		out=$($XC_SSH "$host" "d=$(xc_dir "$name"); mkdir -p \$d &&
		    cat >\$d/key && chmod 600 \$d/key &&
		    cd '$XC_REMOTE_ROOT' && { nohup bin/gmsd --dir \$d \
		    --key-file \$d/key $hargs $* >\$d.log 2>&1 </dev/null &
		    echo \$!; }; for i in \$(seq 1 500); do
		    [ -s \$d/port ] && { cat \$d/port; exit 0; }; sleep 0.02;
		    done; cat \$d.log >&2; exit 1" <"$CL_TMP/key") ||
		    xp_die "gmsd $name did not start on $host"
		# the port it listens on (the line may say port 0)
		[ -n "$XC_LIVE" ] || CL_MASTER="$(echo "$hargs" |
		    sed 's/.*--listen \([^ :]*\):.*/\1/'):$(echo $out |
		    awk '{ print $2 }')"
		out=$(echo $out | awk '{ print $1 }')
		XC_REMOTE="$XC_REMOTE $host:$out:$(xc_dir "$name")"
		echo "$host" >"$CL_TMP/$name.host"
		echo "$out" >"$CL_TMP/$name.rpid" ;;
	esac
	XC_LIVE="$XC_LIVE $name"
}

xc_exec() {
	local name=$1 q a
	shift
	if [ "$XC_MODE" = hosts ]; then
		q=""
		for a in "$@"; do	# this checkout's paths, as on the host
			q="$q $(printf '%q' "${a/#$XP_ROOT/$XC_REMOTE_ROOT}")"
		done
		$XC_SSH "$(cat "$CL_TMP/$name.host")" "$q" </dev/null
	else
		"$@"
	fi
}

xc_ctl() {
	local name=$1
	shift
	xc_exec "$name" "$XP_BIN/gmsctl" --dir "$(xc_dir "$name")" "$@"
}

xc_wait() {
	local want=$1 secs=${2:-20} name deadline n ok
	deadline=$((SECONDS + secs))
	while [ $SECONDS -le $deadline ]; do
		ok=1
		for name in $XC_LIVE; do
			n=$(xc_ctl "$name" status --json 2>/dev/null |
			    jq '[.state, (.members | length)] | join(" ")' -r)
			[ "$n" = "member $want" ] || { ok=0; break; }
		done
		[ $ok = 1 ] && return 0
		sleep 0.1
	done
	echo "the cluster did not reach $want members" >&2
	return 1
}

# utime + stime of NAME's gmsd (/proc/PID/stat fields 14 and 15), in
# clock ticks.
xc_cpu_ticks() {
	local pid
	if [ "$XC_MODE" = hosts ]; then
		pid=$(cat "$CL_TMP/$1.rpid")
	else
		pid=$(cluster_pid "$1")
	fi
	xc_exec "$1" cat "/proc/$pid/stat" |
	    sed 's/.*) //' | awk '{ print $12 + $13 }'
}

xc_stop_all() {
	local name pid r host dir
	for name in $XC_LIVE; do
		if [ "$XC_MODE" = hosts ]; then
			host=$(cat "$CL_TMP/$name.host")
			pid=$(cat "$CL_TMP/$name.rpid")
			dir=$(xc_dir "$name")
			$XC_SSH "$host" "kill -9 $pid; rm -rf $dir $dir.log" \
			    </dev/null >/dev/null 2>&1
			XC_REMOTE=$(for r in $XC_REMOTE; do
			    [ "$r" = "$host:$pid:$dir" ] || echo "$r"; done)
		else
			cluster_kill "$name" KILL
			rm -rf "${CL_TMP:?}/$name"
		fi
	done
	XC_LIVE=""
	XC_IDX=0
}
