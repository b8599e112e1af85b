rm -rf e5 && mkdir -p e5/t && : > e5/t/x && virt-make-fs -t nosuchfs e5/t e5/o.img; rc=$?; ls e5; exit $rc
