!mkdir -p in/sub out && echo data > in/sub/file && echo top > in/top
copy-in in /
copy-in in/top /in/sub
find /in
cat /in/sub/top
copy-out /in out
!find out | sort
-copy-in nosuchlocal /
-copy-out /nosuch out
-copy-in in /nosuchdir
