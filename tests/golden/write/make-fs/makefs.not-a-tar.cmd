rm -rf e2 && mkdir e2 && printf 'plain text\n' > e2/f.txt && virt-make-fs e2/f.txt e2/o.img; rc=$?; ls e2; exit $rc
