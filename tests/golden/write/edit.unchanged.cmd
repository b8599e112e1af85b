rm -rf e4 && mkdir e4 && cp demo.img e4/w.img && EDITOR=true virt-edit -a e4/w.img /etc/hostname
