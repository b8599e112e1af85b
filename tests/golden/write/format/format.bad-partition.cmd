rm -rf g6 && mkdir g6 && truncate -s 8M g6/d.img && virt-format -a g6/d.img --partition=bogus --filesystem=ext2
