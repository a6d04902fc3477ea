#!/bin/sh
# e2e-report.sh: turn the console log of a `make e2e` level-1 boot into the
# three-way comparison (stock KVM + unmodified guest, stock KVM + PV guest,
# abt + unmodified guest): a Markdown report, a gnuplot data file and PNG,
# and the target checks. Exit status 0 when every run finished and every
# target is met, 1 when a target is missed, 2 on unusable input.
#
#   e2e-report.sh CONSOLE.LOG OUTDIR [COMMAND-LINE-NOTE]
#
# Writes OUTDIR/results.md, OUTDIR/results.dat, OUTDIR/results.png (if
# gnuplot is there) and OUTDIR/summary.txt. Nothing is written unless the
# log holds the four runs (stock, pv, abt, count) with status 0.
set -eu

usage() {
	echo "usage: e2e-report.sh CONSOLE.LOG OUTDIR [NOTE]" >&2
	exit 2
}
[ "${1:-}" = "--help" ] && { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0; }
[ $# -ge 2 ] || usage
log=$1
out=$2
note=${3:-}
[ -r "$log" ] || { echo "e2e-report: cannot read $log" >&2; exit 2; }
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One "run key value" line per fact, from the framed runs of the log.
tr -d '\r' < "$log" | awk '
	/ABT-E2E-RUN name=/ { sub(/.*name=/, ""); run = $1; next }
	/ABT-E2E-END name=/ {
		st = $0; sub(/.*status=/, "", st)
		print run, "status", st + 0; run = ""; next
	}
	run == "" { next }
	/abt-init: text-checksum before=/ {
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^before=/) { v = $i; sub(/before=/, "", v); print run, "csum_before", v }
			if ($i ~ /^after=/) { v = $i; sub(/after=/, "", v); print run, "csum_after", v }
		}
		print run, "csum_verdict", $NF
		next
	}
	/abt-init: [^ ]+ [0-9]+ ticks=[0-9]+/ {
		for (i = 1; i <= NF; i++) if ($i == "abt-init:") break
		t = $(i + 3); sub(/ticks=/, "", t)
		print run, "phase:" $(i + 1), t
		next
	}
	/abt-init: start tb=/ { v = $0; sub(/.*tb=/, "", v); print run, "init_tb", v + 0; next }
	/KVM: Live patching for a fast VM worked/ { print run, "pv_patched", 1; next }
	/KVM: Live patching for a fast VM failed/ { print run, "pv_patched", 0; next }
	/^timebase: first KVM_RUN/ {
		print run, "tb_start", $4 + 0
		print run, "run_ticks", $(NF - 1) + 0
		next
	}
	/^KVM exit timing/ { timing = 1; next }
	timing && /^ *[A-Z_]+[ \t]+[0-9]+[ \t]+[0-9]+[ \t]+[0-9]+[ \t]+[0-9]+/ {
		print run, "tcount:" $1, $2; print run, "tsum:" $1, $5; next
	}
	timing && /^ *\(null\)/ { next }
	/^KVM debugfs counters/ { timing = 0; counters = 1; next }
	counters && /^  [a-z_]+ +[0-9]+$/ { print run, "kvm:" $1, $2; next }
	/^abt \(/ { counters = 0; abt = 1; next }
	abt && /^[a-z_.0-9]+ [0-9x]+$/ { print run, "abt:" $1, $2; next }
	/^ABT-E2E|^== abt-vmm/ { timing = 0; counters = 0; abt = 0 }
' > "$tmp/facts"

get() { awk -v r="$1" -v k="$2" '$1 == r && $2 == k { v = $3 } END { print v }' "$tmp/facts"; }

for r in stock pv abt count; do
	st=$(get $r status)
	if [ "$st" != 0 ]; then
		echo "e2e-report: run '$r' missing or failed (status '${st:-none}') in $log" >&2
		exit 2
	fi
done

# Guest timebase per row, for the three timed runs.
phases=$(awk '$1 == "stock" && $2 ~ /^phase:/ { sub(/^phase:/, "", $2); print $2 }' "$tmp/facts")
[ -n "$phases" ] || { echo "e2e-report: no workload lines (abt-init:) in $log" >&2; exit 2; }

row() { # row LABEL KEY: stock pv abt values
	printf '%s|%s|%s|%s\n' "$1" "$(get stock "$2")" "$(get pv "$2")" "$(get abt "$2")"
}
{
	for r in stock pv abt; do
		s=$(get $r tb_start); i=$(get $r init_tb)
		[ -n "$s" ] && [ -n "$i" ] && echo "$r boot_to_init $((i - s))"
	done
} >> "$tmp/facts"
{
	row "boot to init" boot_to_init
	for p in $phases; do
		[ "$p" = workload-total ] && continue
		row "$p" "phase:$p"
	done
	row "workload total" "phase:workload-total"
	row "whole run (first KVM_RUN to power-off)" run_ticks
} > "$tmp/rows"

# Exits: the timing table's counts (TIMEINGUEST is time, not exits).
exits() { awk -v r="$1" '$1 == r && $2 ~ /^tcount:/ && $2 != "tcount:TIMEINGUEST" { n += $3 } END { print n + 0 }' "$tmp/facts"; }
emul() { awk -v r="$1" '$1 == r && $2 ~ /^tcount:EMUL_/ { n += $3 } END { print n + 0 }' "$tmp/facts"; }
tsum_all() { awk -v r="$1" '$1 == r && $2 ~ /^tsum:/ { n += $3 } END { print n + 0 }' "$tmp/facts"; }
tsum_emul() { awk -v r="$1" '$1 == r && $2 ~ /^tsum:EMUL_/ { n += $3 } END { print n + 0 }' "$tmp/facts"; }

rem_count=$(get count abt:exits_removable)
rem_abt=$(get abt abt:exits_removable)
[ -n "$rem_count" ] && [ -n "$rem_abt" ] ||
	{ echo "e2e-report: no abt counters (debugfs kvm/<vm>/abt) for the count or abt run" >&2; exit 2; }

awk -v rows="$tmp/rows" -v out="$out" -v note="$note" \
    -v ex_s="$(exits stock)" -v ex_p="$(exits pv)" -v ex_a="$(exits abt)" \
    -v em_s="$(emul stock)" -v em_p="$(emul pv)" -v em_a="$(emul abt)" \
    -v em_c="$(emul count)" \
    -v ts_all="$(tsum_all stock)" -v ts_emul="$(tsum_emul stock)" \
    -v rem_c="$rem_count" -v rem_a="$rem_abt" \
    -v trap_c="$(get count abt:exits_trap)" \
    -v cb_s="$(get stock csum_before)" -v ca_s="$(get stock csum_after)" \
    -v cb_a="$(get abt csum_before)" -v ca_a="$(get abt csum_after)" \
    -v cv_s="$(get stock csum_verdict)" -v cv_a="$(get abt csum_verdict)" \
    -v pvp="$(get pv pv_patched)" \
    -v tr_i="$(get abt abt:translations_inplace)" -v tr_c="$(get abt abt:translations_cluster)" \
    -v tr_b="$(get abt abt:translations_branch)" -v tr_f="$(get abt abt:translate_fail)" \
    -v tcb="$(get abt abt:tc_bytes_peak)" -v dsir="$(get abt abt:dsi_reads)" \
    -v dsiw="$(get abt abt:dsi_writes)" -v mb="$(get abt abt:map_backs)" \
    -v sites="$(get abt abt:sites)" '
function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
function check(name, ok, detail) {
	printf("| %s | %s | %s |\n", name, detail, ok ? "met" : "**missed**") >> md
	printf("target %-34s %-40s %s\n", name, detail, ok ? "met" : "MISSED") >> sum
	if (!ok) missed++
}
BEGIN {
	md = out "/results.md"; dat = out "/results.dat"; sum = out "/summary.txt"
	printf("") > md; printf("") > dat; printf("") > sum
	FS = "|"
	print "# Nested end-to-end results: stock KVM, paravirtual guest, abt\n" >> md
	if (note != "") print note "\n" >> md
	print "Guest timebase ticks (lower is better); ratios are stock / abt and PV / abt.\n" >> md
	print "| row | stock + unmodified | stock + PV | abt + unmodified | stock/abt | PV/abt |" >> md
	print "|---|---:|---:|---:|---:|---:|" >> md
	print "# row stock pv abt (normalised to stock = 1)" >> dat
	all_le = 1; bad_rows = ""
	while ((getline line < rows) > 0) {
		split(line, f, "|")
		printf("| %s | %d | %d | %d | %s | %s |\n", f[1], f[2], f[3], f[4],
		       ratio(f[2], f[4]), ratio(f[3], f[4])) >> md
		if (f[2] > 0) {
			lab = f[1]; gsub(/ /, "_", lab); gsub(/\(.*\)/, "", lab); sub(/_+$/, "", lab)
			printf("\"%s\" 1 %.4f %.4f\n", lab, f[3] / f[2], f[4] / f[2]) >> dat
		}
		if (f[4] > f[3]) { all_le = 0; bad_rows = bad_rows " " f[1] }
		if (f[1] == "getppid") getppid_r = f[4] > 0 ? f[2] / f[4] : 0
		if (f[1] ~ /^whole run/) whole_r = f[4] > 0 ? f[2] / f[4] : 0
	}
	print "\n![Guest time per row, stock KVM = 1](results.png)" >> md
	print "\n## Exits\n" >> md
	print "| | stock + unmodified | stock + PV | abt + unmodified |" >> md
	print "|---|---:|---:|---:|" >> md
	printf("| all exits (KVM exit timing) | %d | %d | %d |\n", ex_s, ex_p, ex_a) >> md
	printf("| privileged-instruction emulation (EMUL_*) | %d | %d | %d |\n", em_s, em_p, em_a) >> md
	printf("\nClassification run (`count`: abt counting exits per rule, never patching, same boot + workload): %d emulation exits, %d at sites of rules that translate (removable), %d at trap-only rules (rfi, tlbwe, tlbsx, mtspr of PID/DEC/TSR/IVORs, ...). In the abt run %d exits remained at removable rules, the threshold executions before each site was patched included.\n",
	       em_c, rem_c, trap_c, rem_a) >> md
	printf("\nabt run: %d sites patched (%d in place, %d cluster stubs, %d branch stubs, %d refused), TC peak %d bytes; %d guest loads from patched pages served original bytes, %d stores dropped patches; %d interrupts mapped back out of a stub.\n",
	       sites, tr_i, tr_c, tr_b, tr_f, tcb, dsir, dsiw, mb) >> md

	# Bound: all removable emulation time gone, at the stock run average
	# cost per emulation exit (exit timing, level-1 microseconds).
	avg = em_s > 0 ? ts_emul / em_s : 0
	frac = em_c > 0 ? rem_c / em_c : 0
	saved = avg * em_s * frac
	bound = (ts_all - saved) > 0 ? ts_all / (ts_all - saved) : 0
	gone = rem_c > 0 ? 1 - rem_a / rem_c : 0
	printf("\nBound on the whole-run speedup from the stock run's exit timing: %.0f us in all, %.0f us in %d emulation exits (%.1f us each), %.1f%% of them removable: %.0f / (%.0f - %.0f) = %.2fx.\n",
	       ts_all, ts_emul, em_s, avg, 100 * frac, ts_all, ts_all, saved, bound) >> md

	print "\n## Targets\n" >> md
	print "| target | measured | |" >> md
	print "|---|---|---|" >> md
	check("removable privileged exits gone >= 97%", gone >= 0.97,
	      sprintf("%.2f%% (%d of %d left)", 100 * gone, rem_a, rem_c))
	check("whole run stock/abt >= 1.9x", whole_r >= 1.9, sprintf("%.2fx", whole_r))
	check("whole run >= 90% of the bound", bound > 0 && whole_r >= 0.9 * bound,
	      sprintf("%.2fx of %.2fx = %.0f%%", whole_r, bound, bound > 0 ? 100 * whole_r / bound : 0))
	check("getppid stock/abt >= 4x", getppid_r >= 4, sprintf("%.2fx", getppid_r))
	check("abt <= PV on every row", all_le, all_le ? "every row" : "slower on:" bad_rows)
	csum_ok = cb_s != "" && cb_s == ca_s && cb_s == cb_a && cb_a == ca_a && cv_s == "match" && cv_a == "match"
	check("kernel text checksum identical", csum_ok,
	      sprintf("stock %s/%s, abt %s/%s", cb_s, ca_s, cb_a, ca_a))
	check("PV guest printed live patching worked", pvp == 1, pvp == 1 ? "yes" : "no")
	printf("%d target(s) missed\n", missed) >> sum
	exit missed ? 1 : 0
}' || rc=$?
rc=${rc:-0}

if command -v gnuplot >/dev/null 2>&1; then
	gnuplot <<EOF || { echo "e2e-report: gnuplot failed" >&2; rc=2; }
set terminal pngcairo size 1000,560 font ",10"
set output "$out/results.png"
set title "Nested e500v2 KVM: guest time per row, stock KVM = 1 (lower is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set grid ytics
set xtics rotate by -30 noenhanced
set key top right
plot "$out/results.dat" using 2:xtic(1) title "stock KVM + unmodified", \
     "" using 3 title "stock KVM + PV guest", \
     "" using 4 title "abt + unmodified"
EOF
else
	echo "e2e-report: gnuplot not installed: no PNG" >&2
fi
cat "$out/summary.txt"
exit "$rc"
