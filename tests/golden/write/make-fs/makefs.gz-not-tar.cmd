rm -rf ea && mkdir ea && printf 'plain\n' | gzip -n > ea/f.gz && virt-make-fs ea/f.gz ea/o.img; rc=$?; ls ea; exit $rc
