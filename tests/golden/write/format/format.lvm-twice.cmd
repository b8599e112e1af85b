rm -rf g3 && mkdir g3 && truncate -s 8M g3/d.img && virt-format -a g3/d.img --lvm=a/b --lvm=c/d
