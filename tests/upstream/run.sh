#!/bin/bash
# Runs libguestfs 1.48's own test scripts (guestfs-tools v1.48.2 and libguestfs v1.48.6) against
# this project's binary, and prints one line per script: PASS, FAIL (with its log) or SKIP (with
# the reason). Exits 1 when a script failed, 0 otherwise.
#
# The scripts are taken at run time from the upstream git mirrors and are never stored in this
# repository. They expect a built libguestfs tree; this script makes the parts of one they use:
# a PATH with our binary under each tool's name (and, for the upstream tools this project does
# not have, a stand-in that fails, so that an installed libguestfs is never run by mistake),
# config.sh, the phony guests in test-data/phony-guests and the libvirt test-driver XML made
# from them.
#
# One deliberate difference is allowed for: every tool's --help shows --machine-readable, this
# project's extension (issue 12 item 14), which 1.48's manuals cannot document. The *-docs.sh
# scripts' podcheck.pl is therefore run with that one option added to its --ignore list; every
# other option is checked as upstream checks it.
#
# usage: tests/upstream/run.sh [SCRIPT...]     (SCRIPT as listed below, e.g. cat/test-virt-cat.sh;
#                                               default: all of them)
# environment:
#   VIRT_TOOLS      our multi-call binary (default: target/release/virt-tools)
#   UPSTREAM_MIRROR folder holding libguestfs+guestfs-tools/repo, libguestfs+libguestfs/repo and
#                   libguestfs+libguestfs-common/repo (default: ../.mirror from the repository)
#   PHONY_GUESTS    folder with the phony guests fedora.img, debian.img … as raw images
#                   (default: ../shared/fixtures unpacked into the work folder)
#   UPSTREAM_WORK   work folder (default: a new temporary folder, removed when all passed)
#   SCRIPT_TIMEOUT  seconds a script may run (default 600)
#   UPSTREAM_QUICK  when set, the slow scripts (listed below) are skipped, saying so
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
virt_tools=${VIRT_TOOLS:-$root/target/release/virt-tools}
mirror=${UPSTREAM_MIRROR:-$root/../.mirror}
tools_repo=$mirror/libguestfs+guestfs-tools/repo
lib_repo=$mirror/libguestfs+libguestfs/repo
common_repo=$mirror/libguestfs+libguestfs-common/repo
tools_tag=v1.48.2
lib_tag=v1.48.6
timeout_s=${SCRIPT_TIMEOUT:-600}

# The scripts, as TREE:PATH (tools = guestfs-tools, lib = libguestfs).
all_scripts=(
    tools:align/test-virt-alignment-scan.sh
    tools:align/test-virt-alignment-scan-docs.sh
    tools:align/test-virt-alignment-scan-guests.sh
    tools:cat/test-docs.sh
    tools:cat/test-virt-cat.sh
    tools:cat/test-virt-filesystems.sh
    tools:cat/test-virt-log.sh
    tools:cat/test-virt-ls.sh
    tools:cat/test-virt-tail.sh
    tools:df/test-virt-df.sh
    tools:df/test-virt-df-docs.sh
    tools:df/test-virt-df-guests.sh
    tools:diff/test-virt-diff.sh
    tools:diff/test-virt-diff-docs.sh
    tools:inspector/test-virt-inspector.sh
    tools:inspector/test-virt-inspector-docs.sh
    tools:inspector/test-virt-inspector-luks-on-lvm.sh
    tools:inspector/test-virt-inspector-lvm-on-luks.sh
    tools:inspector/test-xmllint.sh
    lib:test-tool/test-libguestfs-test-tool-docs.sh
    lib:fish/test-a.sh
    lib:fish/test-copy.sh
    lib:fish/test-escapes.sh
    lib:fish/test-find0.sh
    lib:fish/test-glob.sh
    lib:fish/test-inspect.sh
    lib:fish/test-invalid-params.sh
    lib:fish/test-read-file.sh
    lib:fish/test-run.sh
    lib:fish/test-stringlist.sh
    lib:fish/test-tilde.sh
    lib:fish/test-upload-to-dir.sh
    lib:rescue/test-virt-rescue-docs.sh
    lib:rescue/test-virt-rescue-suggest.sh
)

# Upstream tools this project does not have (issue 11 and beyond): a script using one is
# skipped, and the name on PATH is a stand-in that fails.
absent_tools=(
    virt-resize
    virt-sparsify virt-sysprep virt-customize virt-builder virt-get-kernel virt-index-validate
    virt-dib virt-drivers virt-builder-repository
)

# Scripts that cannot run here for a reason other than an absent tool.
declare -A skip_reason=(
    [tools:inspector/test-virt-inspector-luks-on-lvm.sh]="needs test-data/phony-guests/fedora-luks-on-lvm.img (PHONY_GUESTS has none)"
    [tools:inspector/test-virt-inspector-lvm-on-luks.sh]="needs test-data/phony-guests/fedora-lvm-on-luks.img (PHONY_GUESTS has none)"
)

# Scripts that take long for reasons of their own, left out with UPSTREAM_QUICK.
declare -A slow=(
    [tools:cat/test-virt-tail.sh]="waits 10 s between its polls (about 70 s)"
)

die() { echo "upstream/run.sh: $*" >&2; exit 2; }

for r in "$tools_repo" "$lib_repo" "$common_repo"; do
    git -C "$r" rev-parse -q --verify "HEAD^{commit}" >/dev/null 2>&1 ||
        { echo "SKIP all: the upstream mirror $r is absent"; exit 0; }
done
[ -x "$virt_tools" ] || die "$virt_tools is not built"
virt_tools=$(cd "$(dirname "$virt_tools")" && pwd)/$(basename "$virt_tools")

if [ -n "${UPSTREAM_WORK:-}" ]; then
    work=$UPSTREAM_WORK
    mkdir -p "$work"
    keep_work=1
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/upstream-tests.XXXXXX")
    keep_work=
fi
work=$(cd "$work" && pwd)

# extract REPO TAG DEST PATH...: the named paths of REPO at TAG into DEST.
extract() {
    local repo=$1 tag=$2 dest=$3 p
    shift 3
    mkdir -p "$dest"
    for p in "$@"; do
        # (git archive complains about unrelated objects the mirror lacks, e.g. po-docs.)
        git -C "$repo" archive "$tag" "$p" 2>/dev/null | tar -x -C "$dest" ||
            die "cannot extract $p from $repo at $tag"
    done
}

# A tree laid out as the scripts expect a built one: srcdir = builddir.
# make_tree DEST REPO TAG FUNCTIONS PATH...: FUNCTIONS is where the tree keeps test-functions.sh.
make_tree() {
    local dest=$1 repo=$2 tag=$3
    shift 4
    [ -f "$dest/.made" ] && return
    rm -rf "$dest"
    extract "$repo" "$tag" "$dest" podcheck.pl test-data "$@"
    local common
    common=$(git -C "$repo" ls-tree "$tag" common | awk '{print $3}')
    extract "$common_repo" "$common" "$dest/common" options
    mv "$dest/podcheck.pl" "$dest/podcheck-upstream.pl"
    cat >"$dest/podcheck.pl" <<'WRAPPER'
#!/bin/bash
# upstream/run.sh: podcheck-upstream.pl with --machine-readable (this project's extension,
# shown in every --help) added to the options it ignores.
args=() ignore=--machine-readable
for a in "$@"; do
    case $a in
    --ignore=*) ignore+=,${a#--ignore=} ;;
    *) args+=("$a") ;;
    esac
done
exec perl "$(dirname "$0")/podcheck-upstream.pl" "${args[@]}" --ignore="$ignore"
WRAPPER
    chmod +x "$dest/podcheck.pl"
    printf 'export XMLLINT=%q\nexport PYCODESTYLE=\n' "$(command -v xmllint || echo no)" \
        >"$dest/config.sh"
    local phony=$dest/test-data/phony-guests img
    for img in "$guests"/*.img; do
        ln -sf "$img" "$phony/$(basename "$img")"
    done
    sed "s|@abs_builddir@|$phony|g" "$phony/guests.xml.in" >"$phony/guests.xml"
    if [ -f "$phony/make-guests-all-good.pl" ]; then
        (cd "$phony" && perl make-guests-all-good.pl \
            archlinux.img debian.img fedora.img fedora-md1.img fedora-md2.img \
            fedora-btrfs.img fedora-lvm-on-luks.img fedora-luks-on-lvm.img \
            ubuntu.img windows.img >guests-all-good.xml) ||
            die "make-guests-all-good.pl failed"
    fi
    touch "$dest/.made"
}

# The phony guests.
if [ -n "${PHONY_GUESTS:-}" ]; then
    guests=$(cd "$PHONY_GUESTS" && pwd)
else
    fixtures=$root/../shared/fixtures
    [ -x "$fixtures/unpack.sh" ] ||
        { echo "SKIP all: no PHONY_GUESTS and no $fixtures"; exit 0; }
    guests=$work/phony-guests
    "$fixtures/unpack.sh" "$guests" >/dev/null || die "cannot unpack $fixtures"
fi

# Our binary under every tool name; a failing stand-in for each absent upstream tool.
bin=$work/bin
mkdir -p "$bin"
for t in $("$virt_tools" --list); do
    ln -sf "$virt_tools" "$bin/$t"
done
for t in "${absent_tools[@]}"; do
    # Never a stand-in for a tool this project has, and never written through its symlink
    # (that would overwrite the binary itself).
    "$virt_tools" --list | grep -qxF "$t" && die "$t is in virt-tools --list: take it out of absent_tools"
    rm -f "$bin/$t"
    printf '#!/bin/sh\necho "%s: not provided by this project (upstream/run.sh stand-in)" >&2\nexit 127\n' \
        "$t" >"$bin/$t"
    chmod +x "$bin/$t"
done

declare -A functions=([tools]=test-functions.sh [lib]=tests/test-functions.sh)
make_tree "$work/tools" "$tools_repo" "$tools_tag" "${functions[tools]}" \
    test-functions.sh align cat df diff inspector
make_tree "$work/lib" "$lib_repo" "$lib_tag" "${functions[lib]}" \
    tests/test-functions.sh fish rescue test-tool

if [ $# -gt 0 ]; then
    selected=()
    for s in "$@"; do
        found=
        for a in "${all_scripts[@]}"; do
            [ "${a#*:}" = "$s" ] && { selected+=("$a"); found=1; }
        done
        [ -n "$found" ] || die "unknown script $s"
    done
else
    selected=("${all_scripts[@]}")
fi

failed=0
for entry in "${selected[@]}"; do
    tree=${entry%%:*}
    script=${entry#*:}
    top=$work/$tree
    dir=$top/$(dirname "$script")
    name=$(basename "$script")
    reason=${skip_reason[$entry]:-}
    if [ -n "$reason" ]; then
        case $entry in
        *luks-on-lvm*) [ -s "$guests/fedora-luks-on-lvm.img" ] && reason= ;;
        *lvm-on-luks*) [ -s "$guests/fedora-lvm-on-luks.img" ] && reason= ;;
        esac
    fi
    if [ -z "$reason" ] && [ -n "${UPSTREAM_QUICK:-}" ] && [ -n "${slow[$entry]:-}" ]; then
        reason="slow: ${slow[$entry]}; UPSTREAM_QUICK is set"
    fi
    for t in "${absent_tools[@]}"; do
        [ -n "$reason" ] && break
        grep -v '^[[:space:]]*#' "$top/$script" |
            grep -Eq "(^|[^-[:alnum:]])$t([^-[:alnum:]]|\$)" &&
            reason="needs $t, which this project does not have"
    done
    if [ -n "$reason" ]; then
        echo "SKIP $script: $reason"
        continue
    fi
    log=$work/logs/${script//\//_}.log
    start=$SECONDS
    mkdir -p "$work/logs"
    test_functions="source $top/${functions[$tree]} abs_srcdir=$dir abs_builddir=$dir"
    test_functions+=" top_srcdir=.. top_builddir=.. abs_top_srcdir=$top abs_top_builddir=$top"
    (
        cd "$dir" &&
            env PATH="$bin:$PATH" TEST_FUNCTIONS="$test_functions" VG= srcdir=. builddir=. \
                top_srcdir=.. top_builddir=.. abs_srcdir="$dir" abs_builddir="$dir" \
                abs_top_srcdir="$top" abs_top_builddir="$top" LANG=C LC_ALL=C TZ=UTC \
                timeout "$timeout_s" bash "./$name"
    ) >"$log" 2>&1 </dev/null
    rc=$?
    took="$((SECONDS - start))s"
    case $rc in
    0) echo "PASS $script ($took)" ;;
    77) echo "SKIP $script: $(grep -m1 'test skipped\|only runs' "$log" || echo 'the script skipped itself')" ;;
    124) echo "FAIL $script: timed out after ${timeout_s}s (log: $log)"; failed=1 ;;
    *) echo "FAIL $script: exit $rc (log: $log)"; failed=1 ;;
    esac
done

if [ "$failed" = 0 ] && [ -z "$keep_work" ]; then
    rm -rf "$work"
elif [ "$failed" != 0 ]; then
    echo "upstream/run.sh: logs and work files kept in $work"
fi
exit "$failed"
