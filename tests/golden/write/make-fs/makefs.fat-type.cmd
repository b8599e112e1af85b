rm -rf e6 && mkdir -p e6/t && : > e6/t/x && virt-make-fs -t fat e6/t e6/o.img; rc=$?; ls e6; exit $rc
