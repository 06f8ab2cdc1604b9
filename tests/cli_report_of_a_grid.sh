#!/usr/bin/env bash
# Usage: cli_report_of_a_grid.sh AAFGAN_REPORT MNIST_CONDGAN [mnist_condgan flags...]
# A tiny real grid (2 models × 2 seeds) through ./aafgan_report: exit 0 and the four files; a
# corrupted metrics.csv is reported (file:line) and skipped with exit 3; a folder with only
# unreadable runs exits 1.
set -u
report=$1
app=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "cli_report_of_a_grid: $*"; exit 1; }

"$app" "$@" --gen default,BHSA --seeds 2 --out "$tmp/grid" > "$tmp/train.log" 2>&1 || { cat "$tmp/train.log"; fail "training failed"; }
exp=$(find "$tmp/grid" -mindepth 1 -maxdepth 1 -type d | head -n 1)
[ -d "$exp/output/1" ] && [ -d "$exp/output_Gen_BHSA/1" ] || fail "unexpected grid layout under $tmp/grid"

"$report" "$exp" --out "$tmp/report" > "$tmp/r1.log" 2>&1; rc=$?
cat "$tmp/r1.log"
[ "$rc" -eq 0 ] || fail "exit $rc on a complete grid, expected 0"
for f in report.html summary.csv summary.md runs.csv; do [ -s "$tmp/report/$f" ] || fail "$f missing"; done
grep -q "^value,output_Gen_BHSA,,d_losses,final,2," "$tmp/report/summary.csv" || fail "summary.csv lacks output_Gen_BHSA's d_losses"
grep -q "^vs_default,output_Gen_BHSA,output,d_losses,final,2," "$tmp/report/summary.csv" || fail "summary.csv lacks the comparison"
[ "$(grep -c 'data-metric="G.out.BHSA.lambda"' "$tmp/report/report.html")" -eq 1 ] || fail "no λ chart"

# One run's metrics.csv broken on line 2: reported, skipped, exit 3; the others still reported.
sed -i '2s/^1,/1,x,/' "$exp/output/0/metrics.csv"
"$report" "$exp" --out "$tmp/report2" > "$tmp/r2.log" 2>&1; rc=$?
cat "$tmp/r2.log"
[ "$rc" -eq 3 ] || fail "exit $rc with one unreadable run, expected 3"
grep -q "skipped .*output/0: .*output/0/metrics.csv:2: " "$tmp/r2.log" || fail "the unreadable run is not named with file:line"
grep -q "^value,output,,d_losses,final,1," "$tmp/report2/summary.csv" || fail "the readable default run is not reported"

# Only unreadable runs: exit 1.
mkdir -p "$tmp/bad/output/0" && printf 'epoch,a\n1,\n2\n' > "$tmp/bad/output/0/metrics.csv"
"$report" "$tmp/bad" --out "$tmp/report3" > "$tmp/r3.log" 2>&1; rc=$?
cat "$tmp/r3.log"
[ "$rc" -eq 1 ] || fail "exit $rc with no readable run, expected 1"
grep -q "none of the 1 runs could be read" "$tmp/r3.log" || fail "no message for a folder of unreadable runs"
echo "cli_report_of_a_grid: ok"
