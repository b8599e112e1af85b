rm -rf e7 && mkdir -p e7/t && : > e7/t/x && virt-make-fs e7/t e7/nodir/o.img
