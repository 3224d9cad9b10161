#!/bin/bash
# The soak driver (tests/soak/run, `make soak`) for 36 s: programs checking
# their pages while nodes join, leave and die (the master too), with loss,
# duplication and reordering injected on some nodes and a hostile sender
# firing at the live ones.  Asserts: no page read back wrong and no program
# hung; a program ended with status 75 (or could not start) only when its
# node was killed or left; every malformed or wrongly keyed datagram sent
# to a node alive at the end is in its `drops` counter and every stranger
# in drop_stranger; each kind of event happened; the membership converged.
. "$(dirname "$0")/lib.sh"
T_TMP=$(mktemp -d /tmp/gms-soaktest.XXXXXX)
trap 'rm -rf "$T_TMP"' EXIT
SECS=${SOAK_TEST_SECONDS:-36}

SOAK_SECONDS=$SECS SOAK_OUT=$T_TMP SOAK_RUNS_LOG=$T_TMP/runs \
    timeout --kill-after=10 $((SECS + 150)) "$CL_ROOT/tests/soak/run" \
    >"$T_TMP/out" 2>&1
rc=$?
grep -E '^soak: (events|hostile|HUNG|FAILED)|^\| (crashes|programs run|mismatches|hostile|failover)' \
    "$T_TMP/out" | sed 's/^/  /'
j=$(tail -1 "$T_TMP/soak.jsonl" 2>/dev/null)
if [ -z "$j" ]; then
	fail soak_ran "status $rc, no summary" "$(tail -20 "$T_TMP/out")"
	exit 1
fi
jv() { echo "$j" | jq -r "$1"; }
[ $rc = 0 ] && [ "$(jv .pass)" = true ] && pass soak_driver_passes ||
    fail soak_driver_passes "status $rc: $(tail -5 "$T_TMP/out")"

# the run lines: loop program host status pages accesses mismatches secs
bad=$(awk '$1 == "run" && $8 != 0' "$T_TMP/runs")
hung=$(awk '$1 == "run" && ($5 == 124 || $5 == 137)' "$T_TMP/runs")
ok=$(awk '$1 == "run" && $5 == 0 && $8 == 0' "$T_TMP/runs" | wc -l)
[ -z "$bad" ] && [ -z "$hung" ] && [ "$ok" -ge 3 ] &&
    [ "$(jv .mismatches)" = 0 ] && pass soak_no_mismatch_no_hang ||
    fail soak_no_mismatch_no_hang "$ok verified; mismatches: $bad; hung: $hung"

# status 75 (its gmsd died) or 3 (no gmsd to map from) only on a node the
# driver killed or made leave; any other status is a failure
unexplained=""
while read -r _ loop prog host st _; do
	case $st in
	0) ;;
	75|3) grep -qx "gone $host" "$T_TMP/runs" ||
	    unexplained="$unexplained $prog@$host:$st" ;;
	*) unexplained="$unexplained $prog@$host:$st" ;;
	esac
done < <(grep '^run ' "$T_TMP/runs")
[ -z "$unexplained" ] && pass soak_status75_only_when_node_gone ||
    fail soak_status75_only_when_node_gone "$unexplained"

[ "$(jv .hostile_sent_live)" -gt 0 ] &&
    [ "$(jv .hostile_unaccounted_nodes)" = 0 ] &&
    pass soak_hostile_dropped_and_counted ||
    fail soak_hostile_dropped_and_counted \
    "$(grep '^soak: hostile' "$T_TMP/out")" \
    "sent to live nodes $(jv .hostile_sent_live)"

[ "$(jv .kills_master)" -ge 1 ] && [ "$(jv .kills_worker)" -ge 1 ] &&
    [ "$(jv .joins)" -ge 1 ] && [ "$(jv .leaves)" -ge 1 ] &&
    [ "$(jv .inject_lost)" -gt 0 ] && [ "$(jv .hostile_replayed)" -gt 0 ] &&
    [ "$(jv .no_master)" = 0 ] && pass soak_everything_happened ||
    fail soak_everything_happened "$(echo "$j" | jq -c '{kills_master,
    kills_worker, joins, leaves, inject_lost, hostile_replayed, no_master}')"

[ "$(jv .converged)" = true ] && [ "$(jv .crashed)" = "" ] &&
    pass soak_converged_no_crash ||
    fail soak_converged_no_crash "converged $(jv .converged)," \
    "died unkilled: $(jv .crashed)"
echo "  ($(jv '"\(.programs) programs, \(.verified) verified, \(.ended_75) ended 75; \(.kills_worker) worker and \(.kills_master) master kills, \(.joins) joins, \(.leaves) leaves; \(.hostile_sent) hostile datagrams; takeover max \(.failover_max_ms) ms (bound \(.failover_bound_ms))"'))"
[ $T_FAILED = 0 ] || tail -40 "$T_TMP/out" | sed 's/^/  | /'
exit $T_FAILED
