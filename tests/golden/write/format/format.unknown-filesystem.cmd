rm -rf g5 && mkdir g5 && truncate -s 8M g5/d.img && virt-format -a g5/d.img --filesystem=nosuchfs
