rm -rf c4 && mkdir c4 && cp demo.img c4/w.img && virt-copy-in -a c4/w.img c4/nosuch.txt /etc
