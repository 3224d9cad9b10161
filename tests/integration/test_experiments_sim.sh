#!/bin/bash
# The experiments nchance, scale, quality and sampler (experiments/figs/)
# in their --quick size, into a temporary results folder: each writes its
# CSV with the expected columns and sane values, a markdown table headed
# by the metadata line, a PNG and a PDF that are real images, and progress
# lines; and the numbers show what each result is about (GMS ahead of
# N-chance on skewed idle memory, a flat speedup as the cluster grows,
# GMS's evictions close to ideal LRU, the sampler ranking pages right at a
# short period).
. "$(dirname "$0")/lib.sh"
cluster_init		# for its temporary directory and cleanup
FIGS=$CL_ROOT/experiments/figs
export RESULTS=$CL_TMP/results
export SAMPLER_SWAP_WAIT=10	# seconds the sampler waits for swap to go

# csv NAME FIELD COND: FIELD (a number) of the rows of NAME.csv for
# which the awk condition COND holds, one a line
csv() {
	awk -F, -v f="$2" "NR > 1 && ($3) { print \$f }" "$RESULTS/$1.csv"
}
# numeric NAME: every field of NAME.csv that should be a number is one
numeric() {
	awk -F, -v skip="$2" 'NR > 1 { for (i = 1; i <= NF; i++) {
		if (index("," skip ",", "," i ",")) continue
		if ($i !~ /^-?[0-9]+(\.[0-9]+)?$/ && $i != "NA") {
			print "row " NR " field " i ": " $i; exit 1 } } }' \
	    "$RESULTS/$1.csv"
}

# run NAME HEADER: run the script --quick; check what every result has
run() {
	local name=$1 header=$2 rc magic t0=$SECONDS
	"$FIGS/$name" --quick >"$CL_TMP/$name.out" 2>"$CL_TMP/$name.err"
	rc=$?
	echo "  ($name --quick: $((SECONDS - t0)) s)"
	if [ $rc != 0 ] && grep -q "swap stayed active" "$CL_TMP/$name.err"; then
		skip "$name" "swap came on during the run and stayed" \
		    "(gmsd's age sampler does not run then)"
		return 1
	fi
	if [ $rc != 0 ]; then
		fail "${name}_runs" "exit $rc: $(tail -3 "$CL_TMP/$name.err")"
		return 1
	fi
	pass "${name}_runs"
	if [ "$(head -1 "$RESULTS/$name.csv")" = "$header" ] &&
	    [ "$(wc -l <"$RESULTS/$name.csv")" -ge 3 ]; then
		pass "${name}_csv_columns"
	else
		fail "${name}_csv_columns" "$(head -2 "$RESULTS/$name.csv")"
	fi
	magic=$(head -c 8 "$RESULTS/$name.png" | od -An -tx1 | tr -d ' \n')
	if [ "$magic" = 89504e470d0a1a0a ] &&
	    [ "$(head -c 5 "$RESULTS/$name.pdf")" = "%PDF-" ] &&
	    { ! command -v file >/dev/null ||
	    { file "$RESULTS/$name.png" | grep -q "PNG image data" &&
	    file "$RESULTS/$name.pdf" | grep -q "PDF document"; }; }; then
		pass "${name}_figures_are_images"
	else
		fail "${name}_figures_are_images" "png magic $magic;" \
		    "$(file "$RESULTS/$name".p* 2>&1)"
	fi
	if head -1 "$RESULTS/$name.md" |
	    grep -q "^Command \`experiments/figs/$name --quick\`, 20.*commit .*CPUs.*kernel.*profiles: " &&
	    grep -q '^| ---\|^|---' "$RESULTS/$name.md" &&
	    grep -q "^\[$name\] [0-9]*/[0-9]* " "$CL_TMP/$name.err"; then
		pass "${name}_table_and_progress"
	else
		fail "${name}_table_and_progress" "$(head -1 "$RESULTS/$name.md")"
	fi
}

for b in bin/gmssim bin/gmsd build/tests/tools/gmsmem; do
	[ -x "$CL_ROOT/$b" ] || { fail built "no $b: run make"; t_finish; }
done

# nchance: gmssim, 20 nodes, idle memory uniform and skewed
if run nchance "kind,distribution,idle_frames,idle_mb,policy,given_frames,seeds,busy_done_s,speedup,disk_reads,cluster_hits"
then
	check nchance_values_numeric numeric nchance 1,2,5
	# the most idle memory of the quick run (40000 frames), skewed:
	# GMS ahead of N-chance (measured 1.90 against 1.66)
	g=$(csv nchance 9 '$2 == "skewed" && $3 == 40000 && $5 == "gms"')
	c=$(csv nchance 9 '$2 == "skewed" && $3 == 40000 && $5 == "nchance"')
	lo=$(csv nchance 9 '$1 == "sim" && ($9 < 1 || $9 > 20)' | head -1)
	echo "  skewed, 312 MB idle: speedup gms $g, nchance $c"
	if [ -z "$lo" ] && awk -v g="$g" -v c="$c" \
	    'BEGIN { exit !(g > c * 1.05) }'; then
		pass nchance_gms_ahead_when_skewed
	else
		fail nchance_gms_ahead_when_skewed "gms $g, nchance $c; out" \
		    "of range: $lo"
	fi
	# the real gmsd check, skewed: GMS reads each of the 320 pages once
	# (the first pass; a few more if getpages time out on a loaded
	# machine), N-chance many more (measured 553 and 562)
	rg=$(csv nchance 10 '$1 == "real" && $5 == "gms"')
	rc=$(csv nchance 10 '$1 == "real" && $5 == "nchance"')
	echo "  real gmsd, skewed: disk reads gms $rg, nchance $rc"
	if [ -n "$rg" ] && [ "$rg" -ge 320 ] && [ "$rg" -le 340 ] &&
	    [ -n "$rc" ] && [ "$rc" -ge $((rg + 50)) ]; then
		pass nchance_real_gms_fewer_disk_reads
	else
		fail nchance_real_gms_fewer_disk_reads "gms $rg, nchance $rc"
	fi
fi

# quality: gmssim, the skewed cluster over two seeds
if run quality "policy,seed,evictions,overlap_pct,mean_rank_pct,oldest10_pct,oldest1_pct,disk_reads,cluster_hits"
then
	check quality_values_numeric numeric quality 1
	least() { csv quality "$2" "\$1 == \"$1\"" | sort -g | head -1; }
	og=$(least gms 4) on=$(least nchance 4) oi=$(least ideal 4)
	dg=$(least gms 8) di=$(least ideal 8)
	echo "  overlap with ideal LRU: gms $og %, nchance $on %, ideal" \
	    "$oi %; disk reads gms $dg, ideal $di"
	# measured: 77.8, 1.1, 96.2 %; 54551 against 54398 disk reads
	if awk -v g="$og" -v n="$on" -v i="$oi" -v dg="$dg" -v di="$di" \
	    'BEGIN { exit !(i > g && g >= 60 && n < 20 && dg <= di * 1.05 &&
	    dg >= di) }'; then
		pass quality_gms_close_to_ideal_lru
	else
		fail quality_gms_close_to_ideal_lru
	fi
fi

# scale: gmssim 5-20 nodes and 5 real gmsd processes
if run scale "kind,nodes,busy,idle,seeds,local_s,gms_s,speedup,gms_disk_reads,gms_cluster_hits"
then
	check scale_values_numeric numeric scale 1
	s=$(csv scale 8 '$1 == "sim"' | tr '\n' ' ')
	r=$(csv scale 8 '$1 == "real"')
	echo "  speedup: gmssim at 5, 10, 15, 20 nodes $s; real gmsd at 5: $r"
	# flat: measured 2.07-2.09 in gmssim
	if [ "$(csv scale 2 '$1 == "sim"' | tr '\n' ' ')" = "5 10 15 20 " ] &&
	    echo "$s" | tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 }
	    END { exit !(NR == 4 && v[1] > 1.2 && v[4] <= v[1] * 1.1) }'; then
		pass scale_sim_speedup_flat
	else
		fail scale_sim_speedup_flat "$s"
	fi
	# the real nodes read the disk only on the first pass, 3 x 256
	# pages (a few more if getpages time out on a loaded machine);
	# measured 1.2-1.5x with the 1995 disk and ATM link models (each
	# later pass: about 1.7 ms a cluster hit against 3.6 ms a disk read)
	d=$(csv scale 9 '$1 == "real"')
	if [ -n "$r" ] && awk -v r="$r" 'BEGIN { exit !(r > 1.1) }' &&
	    [ -n "$d" ] && [ "$d" -ge 768 ] && [ "$d" -le 800 ]; then
		pass scale_real_gms_faster
	else
		fail scale_real_gms_faster "speedup $r, disk reads" \
		    "$(csv scale 9 '$1 == "real"')"
	fi
fi

# sampler: one real gmsd, sampling periods 50, 200, 1000 ms and off
# (swap is sometimes turned on by other programs for a while: wait 10 s)
for _ in $(seq 1 20); do
	[ "$(wc -l </proc/swaps)" -le 1 ] && break
	sleep 0.5
done
if [ "$(wc -l </proc/swaps)" -gt 1 ]; then
	skip sampler "swap is active on this machine ($(sed -n 2p /proc/swaps |
	    cut -d' ' -f1)) and gmsd's age sampler does not run then"
elif run sampler "sample_ms,share_pct,pages,reps,spearman,oldest_pct,sampled,cpu_ms,phase_ms,cpu_pct,us_per_sample,touch_rate"
then
	check sampler_values_numeric numeric sampler ""
	rho=$(csv sampler 5 '$1 == 50')
	old=$(csv sampler 6 '$1 == 50')
	off=$(csv sampler 7 '$1 == 0')
	on=$(csv sampler 7 '$1 > 0' | sort -g | head -1)
	echo "  at 50 ms: rank correlation $rho, oldest quarter $old %;" \
	    "sampled: off $off, on at least $on"
	# measured: 1.000 and 100 % (sampler off: whatever the write order
	# shares with the true order by chance)
	if awk -v r="$rho" -v o="$old" 'BEGIN { exit !(r >= 0.8 && o >= 70) }' &&
	    [ "$off" = 0 ] && [ "$on" -gt 0 ]; then
		pass sampler_ranks_right_at_short_period
	else
		fail sampler_ranks_right_at_short_period
	fi
fi
t_finish
