virt-make-fs --blocksize=big a b
