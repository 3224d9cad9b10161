# churn.sh: membership churn on a cluster started with experiments/cluster.sh,
# shared by tests/integration/test_churn.sh and the soak driver tests/soak/run.
# Sourced after lib.sh.  The caller sets:
#   CHURN_KEEP        names of nodes never picked to leave or die (program
#                     hosts), e.g. "w1 w2"
#   churn_join_args   optional function: extra gmsd arguments for joiner NAME
#   churn_before_gone optional function: called with NAME just before that
#                     node leaves or is killed (to keep its last counters)
# churn_event updates joins, leaves, kills, events and need (see there).

churn_now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# the live nodes' addresses, for a joiner's --master list (the first
# master's address first: it may be dead after a failover)
churn_live_list() {
	local name l="$CL_MASTER"
	for name in $CL_NAMES; do
		cluster_alive "$name" || continue
		l="$l,127.0.0.1:$(cluster_port "$name")"
	done
	echo "$l"
}

churn_master_name() {
	local name
	for name in $CL_NAMES; do
		cluster_alive "$name" || continue
		[ "$(st "$name" .is_master 2>/dev/null)" = true ] &&
		    { echo "$name"; return; }
	done
}

# a live churn node (not in CHURN_KEEP, not the master), at random
churn_pick() {
	local name c="" m
	m=$(churn_master_name)
	for name in $CL_NAMES; do
		case " $CHURN_KEEP " in *" $name "*) continue ;; esac
		[ "$name" = "$m" ] && continue
		cluster_alive "$name" && c="$c $name"
	done
	set -- $c
	[ $# = 0 ] && return 1
	shift $((RANDOM % $#))
	echo "$1"
}

churn_nlive() {
	local name k=0
	for name in $CL_NAMES; do cluster_alive "$name" && k=$((k + 1)); done
	echo $k
}

churn_gone() {
	declare -F churn_before_gone >/dev/null && churn_before_gone "$1"
	return 0
}

# churn_event LO HI: one join, leave or kill, keeping LO to HI live nodes.
# Until one of each has happened ($need holds the kinds still missing:
# 0 join, 1 leave, 2 kill) the kind is drawn from the missing ones.
# Joiners are named j5, j6, ... ($next_name) and get --mem 16M.
churn_event() {
	local lo=$1 hi=$2 live r name extra=""
	live=$(churn_nlive)
	r=$((RANDOM % 3))
	set -- $need
	if [ $# -gt 0 ]; then
		shift $((RANDOM % $#))
		r=$1
	fi
	[ "$live" -le "$lo" ] && r=0
	[ "$live" -ge "$hi" ] && [ $r = 0 ] && r=1
	case $r in
	0)
		name=j$next_name
		next_name=$((next_name + 1))
		declare -F churn_join_args >/dev/null &&
		    extra=$(churn_join_args "$name")
		cluster_start $name --master "$(churn_live_list)" --mem 16M \
		    $extra &&
		    joins=$((joins + 1)) && events="$events join:$name" &&
		    need=${need/0/}
		;;
	1)
		name=$(churn_pick) || return 0
		churn_gone "$name"
		if cluster_ctl "$name" leave >"$CL_TMP/leave.$name" 2>&1; then
			leaves=$((leaves + 1))
			events="$events leave:$name"
			need=${need/1/}
		else
			events="$events leave-refused:$name"
		fi
		cluster_kill "$name" TERM
		;;
	2)
		name=$(churn_pick) || return 0
		churn_gone "$name"
		cluster_kill "$name" KILL
		kills=$((kills + 1))
		events="$events kill:$name"
		need=${need/2/}
		;;
	esac
	return 0
}

# churn_kill_master: SIGKILL the current master (its name is left in
# $churn_killed); 1 if none was found.
churn_kill_master() {
	local m
	m=$(churn_master_name)
	[ -n "$m" ] || return 1
	churn_killed=$m
	churn_gone "$m"
	cluster_kill "$m" KILL
	kills=$((kills + 1))
	events="$events kill-master:$m"
	return 0
}

# churn_converged S: wait at most S seconds until every live node is a
# member and all show the same state, master, term, POD version and member
# set, of as many members as there are live nodes.  The last view read is
# left in $churn_view (one line per node).
churn_converged() {
	local t0 name v
	t0=$(churn_now_ms)
	while [ $(( $(churn_now_ms) - t0 )) -lt $(($1 * 1000)) ]; do
		v=""
		for name in $CL_NAMES; do
			cluster_alive "$name" || continue
			v="$v
$(st "$name" '"\(.state) \(.master) \(.term) \(.pod_version) \([.members[].id]|join(","))"' 2>/dev/null)"
		done
		churn_view=$(echo "$v" | sed '/^$/d')
		if [ "$(echo "$churn_view" | sort -u | wc -l)" = 1 ] &&
		    echo "$churn_view" | head -1 | grep -q "^member " &&
		    [ "$(echo "$churn_view" | head -1 | awk '{print $5}' |
		    tr ',' '\n' | wc -l)" = "$(churn_nlive)" ]; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}
