rm -rf g8 && mkdir g8 && truncate -s 16M g8/d.img && virt-format --blocksize=4096 -a g8/d.img --filesystem=ext2 && virt-filesystems -a g8/d.img --all --long
