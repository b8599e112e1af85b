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

# Builds this project (unless $BIN names a build) and links its guestfish into $work/bin;
# sets $ours, and $have_lg to 1 when libguestfs 1.48's guestfish is installed.
setup_guestfish() {
    if [ -z "${BIN:-}" ]; then
        cargo build -q --release -p virt-tools -p guestfsd
        BIN=$PWD/target/release/virt-tools
    fi
    mkdir -p "$work/bin"
    ln -sf "$BIN" "$work/bin/guestfish"
    ours=$work/bin/guestfish
    have_lg=0
    [ -x /usr/bin/guestfish ] && have_lg=1
}

# One line: NAME, our seconds, 1.48's (- when it is not installed), and how many times faster.
report_speedup() {
    if [ "$3" = "-" ]; then
        printf '%-40s %8.2f   1.48: not installed (skipped)\n' "$1" "$2"
    else
        printf '%-40s %8.2f   1.48: %8.2f   1.48/ours %.2f\n' "$1" "$2" "$3" "$(echo "$3 / $2" | bc -l)"
    fi
}
