rm -rf g4 && mkdir g4 && truncate -s 8M g4/d.img && virt-format -a g4/d.img --filesystem --lvm
