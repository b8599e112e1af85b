rm -rf g1 && mkdir g1 && truncate -s 8M g1/d.img && virt-format -a g1/d.img --lvm vg/lv
