rm -rf e9 && mkdir -p e9/t && : > e9/t/x && virt-make-fs --partition=bogus e9/t e9/o.img; rc=$?; ls e9; exit $rc
