rm -f r2.img && truncate -s 10M r2.img && virt-rescue --suggest -a r2.img
