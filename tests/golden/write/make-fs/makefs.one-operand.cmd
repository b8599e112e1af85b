virt-make-fs x
