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
	/l1-init: .*\/parameters\/abt_steal = / { v = $NF; gsub(sprintf("%c", 39), "", v); if (v != "") print run, "steal_arg", v; next }
	/abt-vmm: KVM_CAP_PPC_ABT: / { v = $NF; sub(/^steal=/, "", v); if (v != "-") print run, "steal_arg", v; print run, "abt_cap", 1; next }
	/^abt-cap-check: / { print run, ($NF == "(EINVAL)" ? "capcheck_refused" : "capcheck_bad"), 1; next }
	/abt-init: start tb=/ { v = $0; sub(/.*tb=/, "", v); sub(/[^0-9].*/, "", v); print run, "init_tb", v; next }
	/KVM: Live patching for a fast VM worked/ { print run, "pv_patched", 1; next }
	/smp: Brought up [0-9]+ node, [0-9]+ CPUs/ { v = $0; sub(/ CPUs.*/, "", v); sub(/.*, /, "", v); print run, "cpus", v; next }
	/ABT-WORKLOAD-DONE/ { print run, "workload_done", 1; next }
	/HO-WORKLOAD-DONE/ { print run, "workload_done", 1; next }
	/KVM: Live patching for a fast VM failed/ { print run, "pv_patched", 0; next }
	/^timebase: first KVM_RUN/ {
		v = $4; sub(/,$/, "", v); print run, "tb_start", v
		print run, "run_ticks", $(NF - 1)
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
	/^KVM stats \(KVM_GET_STATS_FD/ { counters = 0; abt = 0; kstat = 1; next }
	kstat && /^  abt_[a-z_]+ +[0-9]+$/ { print run, "kstat:" $1, $2; next }
	abt && /^[a-z_.0-9]+ [0-9a-fx]+$/ { print run, "abt:" $1, $2; next }
	/^ABT-E2E|^== abt-vmm/ { timing = 0; counters = 0; abt = 0; kstat = 0 }
' > "$tmp/facts"

# Runs are CONFIG.N (repetition N of CONFIG; `count` runs once). Timed
# rows take the best (lowest) of the repetitions: the level-1 machine is
# QEMU on a shared host, whose speed drifts between runs; counters come
# from repetition 1.
# smp2-busybox.N runs may fail: the report counts them (status 2 is
# abt-vmm's timeout: a hang).
for r in $(awk '$2 == "status" { print $1 }' "$tmp/facts"); do
	st=$(awk -v r="$r" '$1 == r && $2 == "status" { print $3 }' "$tmp/facts")
	case $r in smp2-busybox.*) continue ;; esac
	if [ "$st" != 0 ]; then
		echo "e2e-report: run '$r' failed (status $st) in $log" >&2
		exit 2
	fi
done
reps=$(awk '$2 == "status" && $1 ~ /^stock\./ { n++ } END { print n + 0 }' "$tmp/facts")
for c in stock pv abt; do
	n=$(awk -v c="$c" '$2 == "status" && index($1, c ".") == 1 { n++ } END { print n + 0 }' "$tmp/facts")
	[ "$n" -ge 1 ] && [ "$n" = "$reps" ] ||
		{ echo "e2e-report: want the same number (>= 1) of stock, pv and abt runs in $log" >&2; exit 2; }
done
grep -q '^count status 0$' "$tmp/facts" ||
	{ echo "e2e-report: no successful 'count' run in $log" >&2; exit 2; }

# get CONFIG KEY: best of the repetitions for timed rows, else repetition 1
get() {
	awk -v c="$1" -v k="$2" '
		$2 != k { next }
		$1 == c || $1 == c ".1" { first = $3 }
		index($1, c ".") == 1 && k ~ /^(phase:|run_ticks|boot_to_init)/ {
			if (best == "" || $3 + 0 < best + 0) best = $3
		}
		END { print (best != "" ? best : first) }' "$tmp/facts"
}

# Guest timebase per row, for the three timed runs.
phases=$(awk '$1 == "stock.1" && $2 ~ /^phase:/ { sub(/^phase:/, "", $2); print $2 }' "$tmp/facts")
[ -n "$phases" ] || { echo "e2e-report: no workload lines (abt-init:) in $log" >&2; exit 2; }

row() { # row LABEL KEY: stock pv abt values
	printf '%s|%s|%s|%s\n' "$1" "$(get stock "$2")" "$(get pv "$2")" "$(get abt "$2")"
}
for r in $(awk '$2 == "status" { print $1 }' "$tmp/facts"); do
	s=$(awk -v r="$r" '$1 == r && $2 == "tb_start" { print $3 }' "$tmp/facts")
	i=$(awk -v r="$r" '$1 == r && $2 == "init_tb" { print $3 }' "$tmp/facts")
	[ -n "$s" ] && [ -n "$i" ] && echo "$r boot_to_init $((i - s))"
done >> "$tmp/facts"
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
# sum_facts RUN REGEX: the sum of RUN's facts whose key matches REGEX
# (TIMEINGUEST's count is time in guest, not exits: never counted)
sum_facts() { awk -v r="$1" -v p="$2" '$1 == r && $2 ~ p && $2 != "tcount:TIMEINGUEST" { n += $3 } END { print n + 0 }' "$tmp/facts"; }
exits() { sum_facts "$1.1" '^tcount:'; }
emul() { if [ "$1" = count ]; then sum_facts count '^tcount:EMUL_'; else sum_facts "$1.1" '^tcount:EMUL_'; fi; }
tsum_all() { sum_facts "$1.1" '^tsum:'; }
tsum_emul() { sum_facts "$1.1" '^tsum:EMUL_'; }

smp_line=""
if grep -q '^smp status' "$tmp/facts"; then
	# one word per fact, "-" for a missing one, so the fields stay put
	smp_line=$(for k in cpus workload_done csum_verdict abt:sites \
		abt:exits_removable abt:map_backs run_ticks abt:trace_writes; do
		v=$(get smp "$k"); printf '%s ' "${v:--}"; done)
fi
# Memory features: the counters of abt's DSI path in the abt run (guest
# RAM in 4 KiB host pages) and, when present, the huge-page runs (guest
# RAM in level-1 huge pages: KVM shadows huge guest entries hugely).
run_of() { awk -v c="$1" '$2 == "status" && ($1 == c || $1 == c ".1") { print $1; exit }' "$tmp/facts"; }
fact() { awk -v r="$1" -v k="$2" '$1 == r && $2 == k { v = $3 } END { print (v == "" ? "-" : v) }' "$tmp/facts"; }
mem_cols=""
for c in abt huge; do r=$(run_of "$c"); [ -n "$r" ] && mem_cols="$mem_cols $r"; done
{
	printf '\n## Memory features\n\n'
	printf 'Counters of abt'"'"'s DSI path (debugfs `kvm/<vm>/abt`). In `abt.1` guest RAM is in 4 KiB host pages, so every shadow entry is 4 KiB and there is nothing to split.'
	case "$mem_cols" in *huge*) printf ' In `huge` it is in 4 MiB level-1 huge pages (`abt-vmm --hugetlb`), so KVM shadows the guest'"'"'s 64 MiB kernel entry with 4 MiB entries, which one patched page makes execute-only whole until page resizing splits it.' ;; esac
	printf ' Mirror region: %s bytes at %s; features %s (1 mirroring, 2 resizing, 4 stealing).\n\n' \
		"$(fact abt.1 abt:mirror_size)" "$(fact abt.1 abt:mirror_base)" "$(fact abt.1 abt:features)"
	printf '| counter | meaning |'; for r in $mem_cols; do printf ' %s |' "$r"; done; printf '\n|---|---|'
	for r in $mem_cols; do printf -- '---:|'; done; printf '\n'
	while IFS='|' read -r k what; do
		printf '| `%s` | %s |' "$k" "$what"
		for r in $mem_cols; do printf ' %s |' "$(fact "$r" "abt:$k")"; done
		printf '\n'
	done <<'KEYS'
dsi_reads|guest loads from patched pages, served the guest's view
dsi_writes|guest stores to patched pages (the patches they hit dropped)
read_bursts|pages that gave their patches up to a burst of loads
smc_drops|patches dropped by guest stores
mirrors|data ranges mirrored
mirror_sites|loads and stores rewritten to reach a mirror
mirror_refused|hot PCs that could not be mirrored
dsi_false|false DSIs: unpatched pages in an execute-only huge entry
false_done|... completed by the DSI path
false_splits|... that split the mapping at once (a form not emulated)
maps|guest huge TLB1 mappings known at the end
splits|huge mappings split into 4 KiB shadow entries
merges|split mappings merged back
merges_cost|... of them because the split cost more than it saved
tlb_misses_split|shadow TLB misses in split mappings
stale_refills|DSIs from shadow entries left from before a split or drop
KEYS
	hs=$(run_of huge-stock); hu=$(run_of huge)
	if [ -n "$hs" ] && [ -n "$hu" ]; then
		printf '\nHuge pages, abt off and on (`huge-stock`, `huge`; one run each), against the 4 KiB runs (repetition 1):\n\n'
		printf '| | stock | abt | huge-stock | huge | huge-stock/huge |\n|---|---:|---:|---:|---:|---:|\n'
		for m in "whole run, ticks|run_ticks" "all exits|^tcount:" "privileged emulation exits|^tcount:EMUL_" \
			 "shadow TLB misses (DTLBVIRT + ITLBVIRT)|^tcount:(DTLB|ITLB)VIRT$" "DSI exits|^tcount:DSI$"; do
			lab=${m%%|*}; key=${m#*|}
			set --
			for r in stock.1 abt.1 "$hs" "$hu"; do
				if [ "$key" = run_ticks ]; then set -- "$@" "$(fact "$r" run_ticks)"
				else set -- "$@" "$(sum_facts "$r" "$key")"; fi
			done
			awk -v l="$lab" -v a="$1" -v b="$2" -v c="$3" -v d="$4" 'BEGIN {
				printf("| %s | %s | %s | %s | %s | %s |\n", l, a, b, c, d,
				       d + 0 > 0 ? sprintf("%.2fx", c / d) : "-") }'
		done
	fi
	st=$(run_of steal)
	if [ -n "$st" ]; then
		printf '\nTC placement by stealing (`steal`, one run): abt as in `abt.1` but with no TC region (no `abt-vmm --abt-tc`); its steal range (`abt-vmm --abt-steal`) names the whole pages of the guest'"'"'s `__ex_table` (`%s`), the only place stubs can go. Linux maps them writable until the end of boot, so sites that need a stub wait for that (`notc_retries`).\n\n' \
			"$(fact "$st" steal_arg)"
		printf '| | abt.1 | %s |\n|---|---:|---:|\n' "$st"
		while IFS='|' read -r lab key; do
			set --
			for r in abt.1 "$st"; do
				case $key in
				run_ticks|csum_verdict) set -- "$@" "$(fact "$r" "$key")" ;;
				^*) set -- "$@" "$(sum_facts "$r" "$key")" ;;
				*) set -- "$@" "$(fact "$r" "abt:$key")" ;;
				esac
			done
			printf '| %s | %s | %s |\n' "$lab" "$1" "$2"
		done <<'KEYS'
whole run, ticks|run_ticks
all exits|^tcount:
privileged emulation exits|^tcount:EMUL_
TC region from the VMM, bytes|tc_size
TC bytes stolen|tc_stolen_bytes
stub bytes at the peak|tc_bytes_peak
in-place translations|translations_inplace
stub translations (cluster)|translations_cluster
translations that failed|translate_fail
sites retried once TC space appeared|notc_retries
steals passed over: hint mapped writable|steal_writable
guest loads served from a stolen range|stolen_reads
stolen ranges given back (a guest store)|unsteals
text checksum before/after|csum_verdict
KEYS
		awk -v a="$(fact abt.1 run_ticks)" -v b="$(fact "$st" run_ticks)" -v r="$st" '
			$2 == "run_ticks" && $1 ~ /^abt\./ { n++; if (lo == "" || $3 < lo) lo = $3; if ($3 > hi) hi = $3 }
			END {
				if (a + 0 <= 0 || b + 0 <= 0) exit
				printf("\nWhole run: `%s` took %+.1f%% ticks against `abt.1`", r, 100 * (b - a) / a)
				if (n > 1) printf(" (the %d `abt` repetitions spread over %.1f%%)", n, 100 * (hi - lo) / lo)
				printf(".\n")
			}' "$tmp/facts"
	fi
} > "$tmp/mem.md"
# cap-check: KVM_CAP_PPC_ABT's refusals (abt-vmm --abt-cap-check), then
# the workload with the real configuration.
cc_line=""
if grep -q '^cap-check status' "$tmp/facts"; then
	cc_line="$(sum_facts cap-check '^capcheck_refused$') $(sum_facts cap-check '^capcheck_bad$') $(fact cap-check workload_done) $(fact abt.1 abt_cap)"
	{
		printf '\n## Per-VM configuration\n\n'
		printf 'Every abt run is configured through `KVM_CAP_PPC_ABT` (`abt-vmm --abt-profile`), with the profile blob `rulesc --profile-blob` compiled by `make e2e` after the level-1 kernel was built; the kernel'"'"'s module parameters name no profile. The `cap-check` run first tries, on its VM, each configuration KVM must refuse (`abt-vmm --abt-cap-check`), then enables the real one and runs the workload:\n\n'
		tr -d '\r' < "$log" | awk '/ABT-E2E-RUN name=cap-check$/ { on = 1; next } /ABT-E2E-END name=cap-check / { on = 0 }
			on && /^abt-cap-check: / { sub(/^abt-cap-check: */, ""); print "- " $0 }'
		if [ "$(fact abt.1 kstat:abt_sites)" != - ]; then
			printf '\nabt'"'"'s VM statistics in `abt.1`, read by abt-vmm through `KVM_GET_STATS_FD` (debugfs `kvm/<vm>/abt` beside them):\n\n| statistic | KVM_GET_STATS_FD | debugfs |\n|---|---:|---:|\n'
			printf '| `abt_sites` | %s | %s |\n' "$(fact abt.1 kstat:abt_sites)" "$(fact abt.1 abt:sites)"
			printf '| `abt_translations` | %s | %s |\n' "$(fact abt.1 kstat:abt_translations)" \
				"$(( $(fact abt.1 abt:translations_inplace) + $(fact abt.1 abt:translations_branch) + $(fact abt.1 abt:translations_cluster) ))"
			printf '| `abt_untranslations` | %s | %s |\n' "$(fact abt.1 kstat:abt_untranslations)" "$(fact abt.1 abt:untranslations)"
			printf '| `abt_recoveries` | %s | %s |\n' "$(fact abt.1 kstat:abt_recoveries)" "$(fact abt.1 abt:recoveries)"
			printf '| `abt_dsi_handled` | %s | |\n' "$(fact abt.1 kstat:abt_dsi_handled)"
			printf '| `abt_tc_leaves` | %s | %s |\n' "$(fact abt.1 kstat:abt_tc_leaves)" "$(fact abt.1 abt:tc_leaves)"
			printf '| `abt_tc_kicks` | %s | %s |\n' "$(fact abt.1 kstat:abt_tc_kicks)" "$(fact abt.1 abt:tc_kicks)"
		fi
	} >> "$tmp/mem.md"
fi
# smp2-busybox.N: a guest the project did not write on two vcpus, abt on.
bb_runs=$(awk '$2 == "status" && $1 ~ /^smp2-busybox\./ { print $1 }' "$tmp/facts")
bb_line=""
if [ -n "$bb_runs" ]; then
	bb_n=0 bb_hangs=0 bb_fail=0
	{
		printf '\n## smp2-busybox\n\n'
		printf 'A guest the project did not write, on two vCPUs under abt (parameters as in `abt`): Linux 6.1 from `guests/linux/smp-preempt.config` (mpc85xx_smp_defconfig with PREEMPT and KVM_GUEST, tickless idle) and Debian'"'"'s busybox, static, running `guests/busybox/init.sh` (200 fork+exec, pipes, dd | md5sum, find /, ls -lR /proc/sys). A run that times out is a hang.\n\n'
		printf '| run | result | ticks | all exits | DSI exits | dsi_retries | tc_kicks | tc_leaves | map_backs | sites |\n'
		printf '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
		for r in $bb_runs; do
			st=$(fact "$r" status)
			if [ "$st" = 2 ]; then res=hang
			elif [ "$st" = 0 ] && [ "$(fact "$r" workload_done)" = 1 ]; then res=done
			else res="failed (status $st)"; fi
			printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$r" "$res" \
				"$(fact "$r" run_ticks)" "$(sum_facts "$r" '^tcount:')" \
				"$(sum_facts "$r" '^tcount:DSI$')" "$(fact "$r" abt:dsi_retries)" \
				"$(fact "$r" abt:tc_kicks)" "$(fact "$r" abt:tc_leaves)" \
				"$(fact "$r" abt:map_backs)" "$(fact "$r" abt:sites)"
		done
	} > "$tmp/bb.md"
	for r in $bb_runs; do
		st=$(fact "$r" status)
		bb_n=$((bb_n + 1))
		if [ "$st" = 2 ]; then bb_hangs=$((bb_hangs + 1))
		elif [ "$st" != 0 ] || [ "$(fact "$r" workload_done)" != 1 ]; then bb_fail=$((bb_fail + 1)); fi
	done
	printf '\n`smp2-busybox: hangs %d of %d` (%d other failures).\n' "$bb_hangs" "$bb_n" "$bb_fail" >> "$tmp/bb.md"
	cat "$tmp/bb.md" >> "$tmp/mem.md"
	bb_line="$bb_hangs $bb_fail $bb_n"
fi
# One text checksum over every stock and abt run, before and after.
csums=$(awk '$2 ~ /^csum_(before|after)$/ && ($1 ~ /^stock\./ || $1 ~ /^abt\./) { print $3 }' "$tmp/facts" | sort -u | tr '\n' ' ')
csum_runs=$(awk '$2 == "csum_verdict" && ($1 ~ /^stock\./ || $1 ~ /^abt\./) { n++ } END { print n + 0 }' "$tmp/facts")
csum_bad=$(awk '$2 == "csum_verdict" && $3 != "match" && ($1 ~ /^stock\./ || $1 ~ /^abt\./) { n++ } END { print n + 0 }' "$tmp/facts")
# Removable emulation time of the stock run, per KVM exit type: the
# count run's share of that type's exits at rules that translate
# (debugfs removable.RULE) times the stock run's time in that type.
# KVM accounts a rule's exits to one type: wrtee and wrteei are
# EMUL_WRTEE, every mfspr EMUL_MFSPR, tlbre and tlbivax EMULINST.
removable_us=$(awk '
	function type(r) {
		if (r == "mfmsr") return "EMUL_MFMSR"
		if (r == "mtmsr") return "EMUL_MTMSR"
		if (r ~ /^wrtee/) return "EMUL_WRTEE"
		if (r ~ /^mfspr/) return "EMUL_MFSPR"
		if (r ~ /^mtspr/) return "EMUL_MTSPR"
		if (r ~ /^rf/) return "EMUL_RFI"
		if (r == "tlbwe") return "EMUL_TLBWE"
		if (r == "tlbsx") return "EMUL_TLBSX"
		return "EMULINST"
	}
	$1 == "count" && $2 ~ /^abt:removable\./ {
		r = $2; sub(/^abt:removable\./, "", r); rem[type(r)] += $3
	}
	$1 == "count" && $2 ~ /^tcount:/ { t = $2; sub(/^tcount:/, "", t); n[t] = $3 }
	$1 == "stock.1" && $2 ~ /^tsum:/ { t = $2; sub(/^tsum:/, "", t); us[t] = $3 }
	END {
		for (t in rem) if (n[t] > 0) s += us[t] * (rem[t] < n[t] ? rem[t] / n[t] : 1)
		printf("%.0f\n", s)
	}' "$tmp/facts")
[ "$removable_us" -gt 0 ] ||
	{ echo "e2e-report: the count run has no removable.RULE counters (level-1 kernel without them?)" >&2; exit 2; }
rem_count=$(get count abt:exits_removable)
rem_abt=$(get abt abt:exits_removable)
[ -n "$rem_count" ] && [ -n "$rem_abt" ] ||
	{ echo "e2e-report: no abt counters (debugfs kvm/<vm>/abt) for the count or abt run" >&2; exit 2; }

awk -v rows="$tmp/rows" -v out="$out" -v note="$note" \
    -v ex_s="$(exits stock)" -v ex_p="$(exits pv)" -v ex_a="$(exits abt)" \
    -v em_s="$(emul stock)" -v em_p="$(emul pv)" -v em_a="$(emul abt)" \
    -v em_c="$(emul count)" \
    -v ts_all="$(tsum_all stock)" -v ts_emul="$(tsum_emul stock)" \
    -v saved="$removable_us" \
    -v tig_s="$(get stock tsum:TIMEINGUEST)" -v tig_a="$(get abt tsum:TIMEINGUEST)" \
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
    -v sites="$(get abt abt:sites)" -v reps="$reps" \
    -v csums="$csums" -v csum_runs="$csum_runs" -v csum_bad="$csum_bad" \
    -v smp="$smp_line" -v bb="$bb_line" -v cc="$cc_line" -v rb="$(get abt abt:read_bursts)" -v memmd="$tmp/mem.md" '
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
	printf("Guest timebase ticks (lower is better), best of %d runs of each guest; ratios are stock / abt and PV / abt. The nanosleep row is a fixed 100 ms sleep (it shows wake-up latency) and is left out of the abt <= PV check.\n\n", reps) >> md
	print "| row | stock + unmodified | stock + PV | abt + unmodified | stock/abt | PV/abt |" >> md
	print "|---|---:|---:|---:|---:|---:|" >> md
	print "# row stock pv abt (normalised to stock = 1)" >> dat
	all_le = 1; bad_rows = ""
	while ((getline line < rows) > 0) {
		split(line, f, "|")
		printf("| %s | %.0f | %.0f | %.0f | %s | %s |\n", f[1], f[2], f[3], f[4],
		       ratio(f[2], f[4]), ratio(f[3], f[4])) >> md
		if (f[2] > 0) {
			lab = f[1]; gsub(/ /, "_", lab); gsub(/\(.*\)/, "", lab); sub(/_+$/, "", lab)
			printf("\"%s\" 1 %.4f %.4f\n", lab, f[3] / f[2], f[4] / f[2]) >> dat
		}
		# a fixed-length sleep measures the timer, not virtualization
		if (f[4] > f[3] && f[1] !~ /^nanosleep/) { all_le = 0; bad_rows = bad_rows " " f[1] }
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
	printf("\nabt run: %d translations (%d in place, %d cluster stubs, %d branch stubs; %d refused), %d sites still patched at the end, TC peak %d bytes; %d guest loads from patched pages served original bytes, %d pages lost their patches to a burst of such loads (the text checksum: their sites counted afresh and were patched again), %d stores dropped patches; %d interrupts mapped back out of a stub.\n",
	       tr_i + tr_c + tr_b, tr_i, tr_c, tr_b, tr_f, sites, tcb, dsir, rb, dsiw, mb) >> md
	if (smp != "") {
		split(smp, sm, " ")
		printf("\nTwo-vCPU guest (`smp` run: the SMP build of the same kernel, `abt-vmm --smp 2`, abt on): %s CPUs brought up, workload %s, text checksum %s, %d sites patched at the end, %d exits left at removable rules, %d interrupts mapped back out of a stub, %d guest stores into patched frames, %.0f ticks in all.\n",
		       sm[1], sm[2] == 1 ? "done" : "NOT done", sm[3], sm[4], sm[5], sm[6], sm[8], sm[7]) >> md
	}
	while ((getline line < memmd) > 0)
		print line >> md

	# Bound: all removable emulation time gone, at the stock run average
	# cost per emulation exit (exit timing, level-1 microseconds).
	bound = (ts_all - saved) > 0 ? ts_all / (ts_all - saved) : 0
	gone = rem_c > 0 ? 1 - rem_a / rem_c : 0
	printf("\nBound on the whole-run speedup from the exit timing of the stock run: %.0f us in all, %.0f us in %d emulation exits. Removable, per exit type (the share of the exits of that type that the count run saw at rules that translate, times the time of the stock run in that type; `wait` is idle time and stays): %.0f us. Bound: %.0f / (%.0f - %.0f) = %.2fx.\n",
	       ts_all, ts_emul, em_s, saved, ts_all, ts_all, saved, bound) >> md
	printf("The bound assumes that only the emulation time goes away. Measured, the time the guest spends running between exits (TIMEINGUEST in the exit timing) falls too: %.0f us in the stock run, %.0f us with abt (nested, level 1 is QEMU, and fewer exits also leave the guest code itself faster)%s\n",
	       tig_s, tig_a, whole_r > bound ? ". That is why the measured ratio exceeds the bound." : "; the time abt adds (its own exits, DSIs, shadow TLB misses, stub code) is not in the bound either.") >> md

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
	ncs = split(csums, cs, " ")
	csum_ok = ncs == 1 && csum_bad == 0 && csum_runs == 2 * reps
	check("kernel text checksum identical", csum_ok,
	      sprintf("%s over %d stock and abt runs, before and after", csums, csum_runs))
	check("PV guest printed live patching worked", pvp == 1, pvp == 1 ? "yes" : "no")
	if (smp != "")
		check("2-vCPU guest boots with abt", sm[1] == 2 && sm[2] == 1 && sm[3] == "match",
		      sprintf("%s CPUs, workload %s, checksum %s", sm[1], sm[2] == 1 ? "done" : "not done", sm[3]))
	if (cc != "") {
		split(cc, ccv, " ")
		check("KVM_CAP_PPC_ABT refuses every bad configuration", ccv[1] == 13 && ccv[2] == 0 && ccv[3] == 1 && ccv[4] == 1,
		      sprintf("%d of 13 refused with EINVAL, %d accepted, the VM ran the workload after: %s; abt runs configured through it: %s",
			      ccv[1], ccv[2], ccv[3] == 1 ? "yes" : "no", ccv[4] == 1 ? "yes" : "no"))
	}
	if (bb != "") {
		split(bb, bbv, " ")
		check("smp2-busybox: no hang, every run done", bbv[1] == 0 && bbv[2] == 0,
		      sprintf("hangs %d of %d, %d other failures", bbv[1], bbv[3], bbv[2]))
	}
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
set yrange [0:1.3]
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
