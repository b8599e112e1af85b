rm -rf e3 && mkdir -p e3/t && : > e3/t/x && virt-make-fs --size=12Q e3/t e3/o.img; rc=$?; ls e3; exit $rc
