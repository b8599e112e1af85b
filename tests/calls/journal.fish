# The journal calls: errors with no journal open, a directory that is not there, and an
# empty journal directory (no entries: moving and reading stop at its end).
mount /dev/sdb1 /
-journal-next
-journal-close
-journal-get
-journal-get-data-threshold
-journal-set-data-threshold 100
-journal-skip 1
-journal-get-realtime-usec
-journal-open /nonexistent
mkdir-p /var/log/journal
journal-open /var/log/journal
journal-next
journal-skip 10
journal-skip -3
journal-get-data-threshold
journal-set-data-threshold 1000
journal-get-data-threshold
journal-close
-journal-close
