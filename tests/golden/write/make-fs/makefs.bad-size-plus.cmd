rm -rf e4 && mkdir -p e4/t && : > e4/t/x && virt-make-fs --size=+abc e4/t e4/o.img; rc=$?; ls e4; exit $rc
