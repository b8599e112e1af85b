#!/bin/sh
# Regenerates the hivex-made hive and the hivex dumps the tests compare against.
# Needs hivex's tools (Debian: libwin-hivex-perl, which has hivexregedit).
#
# windows-software.hive and windows-system.hive are Windows/System32/Config/{SOFTWARE,SYSTEM}
# of the libguestfs "phony" Windows test image (made by hivex from the reg files of
# libguestfs's test-data/phony-guests), extracted with ntfscat.
set -e
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Start from the SYSTEM hive emptied by hivex, then merge the test keys with hivexregedit.
cp windows-system.hive "$tmp/hivex-made.hive"
perl -MWin::Hivex -e '
    my $h = Win::Hivex->open($ARGV[0], write => 1);
    my $root = $h->root();
    $h->node_delete_child($_) foreach $h->node_children($root);
    $h->node_set_values($root, []);
    $h->commit(undef);' "$tmp/hivex-made.hive"
(cd "$tmp" && python3 "$OLDPWD/hivex-made.py")
hivexregedit --merge "$tmp/hivex-made.hive" "$tmp/hivex-made.reg"
gzip -9n < "$tmp/hivex-made.hive" > hivex-made.hive.gz
perl dump.pl windows-software.hive > windows-software.dump
perl dump.pl windows-system.hive > windows-system.dump
perl dump.pl "$tmp/hivex-made.hive" | gzip -9n > hivex-made.dump.gz
