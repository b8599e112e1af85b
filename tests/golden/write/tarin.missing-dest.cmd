rm -rf t3 && mkdir -p t3/t && printf 'x\n' > t3/t/x && tar -C t3/t -cf t3/in.tar . && cp demo.img t3/w.img && virt-tar-in -a t3/w.img t3/in.tar /nonexistent
