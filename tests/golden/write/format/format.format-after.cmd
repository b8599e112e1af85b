rm -rf g7 && mkdir g7 && truncate -s 8M g7/d.img && virt-format -a g7/d.img --format=raw
