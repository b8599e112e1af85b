guestfish alloc full.img 4M : sparse sparse.img 2M : run : list-devices : blockdev-getsize64 /dev/sdb && stat -c '%n %s' full.img sparse.img && du -k sparse.img
