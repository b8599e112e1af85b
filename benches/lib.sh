# Shared by the benchmark scripts (sourced after they set $work and $runs): timing a shell
# command run in $work, and the median over $runs runs.

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Wall seconds of a shell command run in $work.
wall() {
    local s e
    s=$(date +%s.%N)
    (cd "$work" && bash -c "$1") >/dev/null 2>"$work/err" || {
        echo "failed: $1" >&2; cat "$work/err" >&2; return 1; }
    e=$(date +%s.%N)
    echo "$e - $s" | bc -l
}

# Median wall time of a command over $runs runs.
measure() {
    local i t=()
    for i in $(seq "$runs"); do t+=("$(wall "$1")"); done
    printf '%s\n' "${t[@]}" | median
}
