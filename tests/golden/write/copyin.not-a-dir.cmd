rm -rf c3 && mkdir c3 && printf 'one\n' > c3/f.txt && cp demo.img c3/w.img && virt-copy-in -a c3/w.img c3/f.txt /etc/hostname
