rm -rf t2 && mkdir t2 && cp demo.img t2/w.img && virt-tar-in -a t2/w.img t2/nosuch.tar /home
