rm -rf e1 && mkdir e1 && virt-make-fs e1/nosuch e1/o.img; rc=$?; ls e1; exit $rc
