virt-make-fs
