rm -rf c2 && mkdir c2 && printf 'one\n' > c2/f.txt && cp demo.img c2/w.img && virt-copy-in -a c2/w.img c2/f.txt /nonexistent
