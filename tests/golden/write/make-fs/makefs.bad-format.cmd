rm -rf e8 && mkdir -p e8/t && : > e8/t/x && virt-make-fs --format=vmdk e8/t e8/o.img; rc=$?; ls e8; exit $rc
