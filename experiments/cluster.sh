# cluster.sh: start and stop a local GMS cluster of gmsd processes on
# loopback, each in its own directory under one temporary folder.
# Sourced by experiments/demo and tests/integration/*.sh.
#
#   cluster_init                  make $CL_TMP, set the key, trap cleanup
#   cluster_master NAME [ARGS]    start the master (kernel-chosen UDP port)
#   cluster_node NAME [ARGS]      start a node that joins the master
#   cluster_ctl NAME ARGS         run gmsctl against node NAME
#   cluster_wait_members N [S]    wait until every live node sees N members
#   cluster_kill NAME [SIG]       signal a node we started
#   cluster_pid NAME / cluster_port NAME

CL_ROOT=${CL_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
CL_BIN=${CL_BIN:-$CL_ROOT/bin}
CL_NAMES=""

cluster_cleanup() {
	local name pid
	set +e	# under the caller's set -e, a killed node's wait would end it
	for name in $CL_NAMES; do
		pid=$(cat "$CL_TMP/$name.pid" 2>/dev/null) || continue
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ -n "${CL_KEEP:-}" ]; then
		echo "kept $CL_TMP" >&2
	else
		rm -rf "$CL_TMP"
	fi
}

cluster_init() {
	CL_TMP=$(mktemp -d /tmp/gms-cluster.XXXXXX)
	export GMS_KEY=${GMS_KEY:-"gms-local-cluster-$$-$RANDOM"}
	trap cluster_cleanup EXIT
	trap 'exit 130' INT TERM HUP PIPE
}

# Start gmsd NAME with ARGS; wait for its port file (5 s).
cluster_start() {
	cluster_launch "" 127.0.0.1 "$@"
}

# cluster_launch NS ADDR NAME [ARGS]: gmsd NAME listening on ADDR (port
# chosen by the kernel), inside network namespace NS unless NS is empty.
cluster_launch() {
	local ns=$1 addr=$2 name=$3 i
	shift 3
	mkdir -p "$CL_TMP/$name"
	${ns:+ip netns exec "$ns"} "$CL_BIN/gmsd" --listen "$addr:0" \
	    --dir "$CL_TMP/$name" "$@" >"$CL_TMP/$name.log" 2>&1 &
	echo $! >"$CL_TMP/$name.pid"
	CL_NAMES="$CL_NAMES $name"
	for i in $(seq 1 250); do
		[ -s "$CL_TMP/$name/port" ] && return 0
		kill -0 "$(cat "$CL_TMP/$name.pid")" 2>/dev/null || break
		sleep 0.02
	done
	echo "gmsd $name did not start${ns:+ in netns $ns}:" >&2
	cat "$CL_TMP/$name.log" >&2
	return 1
}

cluster_master() {
	local name=$1
	shift
	cluster_start "$name" "$@" || return 1
	CL_MASTER="127.0.0.1:$(cluster_port "$name")"
}

cluster_node() {
	local name=$1
	shift
	cluster_start "$name" --master "$CL_MASTER" "$@"
}

cluster_port() { cat "$CL_TMP/$1/port"; }
cluster_pid() { cat "$CL_TMP/$1.pid"; }
cluster_log() { cat "$CL_TMP/$1.log"; }
cluster_ctl() {
	local name=$1
	shift
	"$CL_BIN/gmsctl" --dir "$CL_TMP/$name" "$@"
}
cluster_alive() { kill -0 "$(cluster_pid "$1")" 2>/dev/null; }

cluster_kill() {
	local pid
	pid=$(cluster_pid "$1")
	kill "-${2:-TERM}" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# Wait until every live node is a member and all see N members and the
# same POD version.
cluster_wait_members() {
	local want=$1 secs=${2:-10} name deadline versions v n ok
	deadline=$((SECONDS + secs))
	while [ $SECONDS -le $deadline ]; do
		ok=1
		versions=""
		for name in $CL_NAMES; do
			cluster_alive "$name" || continue
			v=$(cluster_ctl "$name" status --json 2>/dev/null) ||
			    { ok=0; break; }
			n=$(echo "$v" | jq '.members | length')
			[ "$(echo "$v" | jq -r .state)" = member ] &&
			    [ "$n" = "$want" ] || { ok=0; break; }
			versions="$versions $(echo "$v" | jq .pod_version)"
		done
		if [ $ok = 1 ] && [ "$(echo $versions | tr ' ' '\n' |
		    sort -u | wc -l)" = 1 ]; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# ---- nodes inside network namespaces --------------------------------------
# For clusters whose nodes talk over veth links (shaped with tc, say) rather
# than loopback.  The caller makes the namespaces and removes them.
#   cluster_master_ns NS ADDR NAME [ARGS]  start the master in netns NS,
#                                          listening on ADDR (its veth's)
#   cluster_node_ns NS ADDR NAME [ARGS]    start a node there that joins it

cluster_master_ns() {
	cluster_launch "$@" || return 1
	CL_MASTER="$2:$(cluster_port "$3")"
}

cluster_node_ns() {
	local ns=$1 addr=$2 name=$3
	shift 3
	cluster_launch "$ns" "$addr" "$name" --master "$CL_MASTER" "$@"
}
