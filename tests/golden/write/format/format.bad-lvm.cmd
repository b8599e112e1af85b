rm -rf g2 && mkdir g2 && truncate -s 8M g2/d.img && virt-format -a g2/d.img --lvm=/dev/onlyvg
