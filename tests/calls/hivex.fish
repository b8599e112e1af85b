# The hivex calls on a hive made here: the smallest hive hivex accepts (a root key "ROOT"),
# then keys and values added, changed and deleted, committed, and read back. Handles are
# file offsets, so they show where each cell went: the same places as hivex's.
mount /dev/sdb1 /
! perl -e '$h="regf".pack("VVx8VVVVVVV",1,1,1,3,0,1,0x20,0x1000,1); $h.="\0"x(0x1fc-length $h); $c=0; $c^=$_ for unpack("V127",$h); $h.=pack("V",$c); $h.="\0"x(0x1000-length $h); $b="hbin".pack("VV",0,0x1000)."\0"x20; $b.=pack("l",-0x58)."nk".pack("vx8VVVVVVVVVVVVVVVvv",0x2c,0,0,0,0,0xffffffff,0xffffffff,0,0xffffffff,0x78,0xffffffff,0,0,0,0,0,4,0)."ROOT"."\0"x4; $b.=pack("l",-0x30)."sk".pack("vVVVV",0,0x78,0x78,1,20).pack("CCvVVVV",1,0,0x8000,0,0,0,0)."\0"x4; $b.=pack("l",0x1000-length $b); $b.="\0"x(0x1000-length $b); print $h.$b' > minimal.hive
upload minimal.hive /minimal.hive
-hivex-root
-hivex-close
-hivex-open /nonexistent
-hivex-open /lost+found
hivex-open /minimal.hive
hivex-root
hivex-node-name 4128
hivex-node-children 4128
hivex-node-values 4128
-hivex-node-name 12345
-hivex-node-name 0
-hivex-node-parent 4128
hivex-node-get-child 4128 nope
-hivex-node-get-child 12 nope
hivex-node-get-value 4128 nope
-hivex-value-key 4128
-hivex-node-add-child 4128 new
-hivex-node-set-value 4128 k 1 abc
-hivex-node-delete-child 4128
-hivex-commit /x
hivex-open /minimal.hive write:true
hivex-node-add-child 4128 Bravo
hivex-node-add-child 4128 alpha
hivex-node-add-child 4128 Charlie
-hivex-node-add-child 4128 ALPHA
-hivex-node-add-child 4128 ""
-hivex-node-add-child 12345 x
hivex-node-children 4128
hivex-node-get-child 4128 BRAVO
hivex-node-name 8224
hivex-node-parent 8224
hivex-node-add-child 8224 inner
hivex-node-set-value 4128 bin 3 abcdefgh
hivex-node-set-value 4128 dw 4 abcd
hivex-node-set-value 4128 BIN 3 0123456789abcdef
hivex-node-set-value 4128 "" 1 x
hivex-node-values 4128
hivex-node-get-value 4128 bin
hivex-value-key 8936
hivex-value-type 8936
hivex-value-value 8936
hivex-value-key 8992
hivex-value-type 8992
hivex-value-value 8992
-hivex-value-string 8992
hivex-value-key 9024
hivex-value-value 9024
-hivex-value-utf8 9024
-hivex-value-key 12345
-hivex-value-value 4128
-hivex-node-set-value 12345 k 1 abc
-hivex-node-delete-child 4128
hivex-node-delete-child 8224
hivex-node-children 4128
-hivex-commit relative
hivex-commit /copy.hive
hivex-commit ""
hivex-close
-hivex-close
checksum sha256 /copy.hive
checksum sha256 /minimal.hive
hivex-open /copy.hive
hivex-node-children 4128
hivex-node-values 4128
hivex-value-value 8992
hivex-close
