rm -rf g2b && mkdir g2b && truncate -s 8M g2b/d.img && virt-format -a g2b/d.img --lvm=a/b/c
