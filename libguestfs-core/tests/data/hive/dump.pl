#!/usr/bin/perl
# Dumps a hive with hivex (Win::Hivex) in the canonical text form tests/hive.rs renders with
# the project's reader: every key depth first in stored order, then its values in stored
# order, with what hivex returns for each accessor ("!" when hivex reports an error).
#   perl dump.pl HIVE [unsafe] > HIVE.dump
use strict;
use warnings;
use Win::Hivex;
binmode STDOUT, ':encoding(UTF-8)';
my $h = Win::Hivex->open($ARGV[0], unsafe => ($ARGV[1] // '') eq 'unsafe' ? 1 : 0);
sub try { my $f = shift; my @r = eval { $f->() }; return $@ ? undef : \@r; }
sub show { my $r = shift; return defined $r ? $r->[0] : '!'; }
# value_string and value_multiple_strings return UTF-8 bytes, not Perl characters.
sub dec { my @s = @_; utf8::decode($_) foreach @s; return @s; }
sub quoted { my $r = shift; return defined $r ? "\"$r->[0]\"" : '!'; }
sub walk {
    my ($node, $path) = @_;
    printf "key %s name=%s ts=%s node=0x%x\n", $path, quoted(try(sub { $h->node_name($node) })),
        show(try(sub { $h->node_timestamp($node) })), $node;
    foreach my $v ($h->node_values($node)) {
        my $key = quoted(try(sub { $h->value_key($v) }));
        my $tv = try(sub { $h->value_value($v) });
        my ($type, $data) = defined $tv ? @$tv : ('!', '');
        printf "  value %s type=%s len=%d hex=%s\n", $key, $type, length($data),
            join('', map { sprintf "%02x", ord } split //, $data);
        printf "    string=%s\n", quoted(try(sub { dec($h->value_string($v)) }));
        my $m = try(sub { dec($h->value_multiple_strings($v)) });
        printf "    multi=%s\n", defined $m ? join('|', map { "\"$_\"" } @$m) : '!';
        printf "    dword=%s qword=%s\n", show(try(sub { $h->value_dword($v) })),
            show(try(sub { $h->value_qword($v) }));
    }
    foreach my $c ($h->node_children($node)) {
        my $cn = show(try(sub { $h->node_name($c) }));
        walk($c, $path eq '\\' ? "\\$cn" : "$path\\$cn");
    }
}
walk($h->root(), '\\');
